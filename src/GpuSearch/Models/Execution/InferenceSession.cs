// Runs an ONNX model with the engine's own kernels: loads and optimizes it once, uploads weights once,
// makes a plan per batch size on first use, and splits any batch into the planned sizes. Everything is
// enqueued on the session's stream (the device's default unless the owner gives it its own, so an embedder's
// batches do not queue in front of searches); host Run() blocks until the outputs are downloaded.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Execution;

/// <summary>An ONNX model ready to run on one device.</summary>
internal sealed class InferenceSession : IDisposable
{
    private readonly ModelGraph _graph;
    private readonly ComputeDevice _device;
    private readonly WeightStore _weights;
    private readonly Dictionary<string, ExecutionPlan> _plans = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private readonly int[] _batchSizes;
    // Planning binds concrete shapes into the graph, so the model's own (symbolic) shapes are kept here.
    private readonly Dictionary<string, TensorShape?> _declaredShapes;
    private DeviceBuffer? _arena;
    private bool _disposed;
    private bool _tuningOffered;

    /// <summary>The stream every run is enqueued on: the device's default stream unless set at construction.</summary>
    internal ComputeStream Stream { get; init; }
    /// <summary>Options the session was made with.</summary>
    public SessionOptions Options { get; }
    /// <summary>Model input names (constants excluded).</summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>Model output names.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>True when every input's first dimension is symbolic, so batches can be split and planned per size.</summary>
    public bool HasDynamicBatch { get; }
    /// <summary>Bytes of the shared activation arena (the largest plan's peak so far).</summary>
    public long ArenaBytes => _arena?.Length ?? 0;
    /// <summary>Bytes of weights on the device.</summary>
    public long WeightBytes => _weights.Bytes;
    /// <summary>The plans made so far, by input-shape key.</summary>
    public IReadOnlyDictionary<string, ExecutionPlan> Plans { get { lock (_lock) return new Dictionary<string, ExecutionPlan>(_plans); } }

    /// <summary>Loads, validates and optimizes <paramref name="modelPath"/> for <paramref name="device"/>.</summary>
    public InferenceSession(string modelPath, ComputeDevice device, SessionOptions? options = null)
        : this(ModelLoader.Load(modelPath, (options ?? SessionOptions.Default).Optimize).Graph, device, options) { }

    /// <summary>Wraps an already prepared (shape-inferred, optionally optimized) graph; the session owns it from now on.</summary>
    public InferenceSession(ModelGraph graph, ComputeDevice device, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(device);
        // Refuse before any upload or planning when the device's backend lacks a kernel the model needs.
        if (ModelValidator.FindBackendProblems(graph, device.Info.Backend) is { Count: > 0 } problems) throw new UnsupportedModelException(problems);
        _graph = graph;
        _device = device;
        Stream = device.Stream;
        Options = options ?? SessionOptions.Default;
        _weights = new WeightStore(device);
        InputNames = graph.Inputs.Where(n => graph.ConstantOf(n) is null).ToArray();
        OutputNames = graph.Outputs.ToArray();
        HasDynamicBatch = InputNames.Count > 0 && InputNames.All(n => graph.Value(n).Shape is { Rank: > 0 } s && !s[0].IsKnown);
        _batchSizes = Options.BatchSizes.Where(b => b > 0).Append(1).Distinct().OrderDescending().ToArray();
        _declaredShapes = InputNames.Concat(OutputNames).Distinct().ToDictionary(n => n, n => graph.Value(n).Shape, StringComparer.Ordinal);
    }

    /// <summary>The declared shape of an input (symbolic batch included).</summary>
    public TensorShape? InputShape(string name) => _declaredShapes.GetValueOrDefault(name);

    /// <summary>The inferred shape of an output (symbolic batch included).</summary>
    public TensorShape? OutputShape(string name) => _declaredShapes.GetValueOrDefault(name);

    /// <summary>The plan for these concrete input shapes, made on first use.</summary>
    public ExecutionPlan GetPlan(IReadOnlyDictionary<string, int[]> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        var key = string.Join(";", InputNames.Select(n => inputShapes.TryGetValue(n, out var s) ? $"{n}=[{string.Join(",", s)}]" : $"{n}=?"));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_plans.TryGetValue(key, out var plan))
                _plans[key] = plan = ExecutionPlan.Build(_graph, inputShapes, Options, _device.Info);
            if (_arena is null || _arena.Length < plan.ArenaBytes)
            {
                Stream.Synchronize(); // an older, smaller arena may still be in use by enqueued work
                _arena?.Dispose();
                _arena = _device.Allocate(Math.Max(256, plan.ArenaBytes));
            }
            return plan;
        }
    }

    /// <summary>The batch sizes a batch of <paramref name="batch"/> is split into (largest planned sizes first).</summary>
    public IReadOnlyList<int> SplitBatch(int batch)
    {
        var parts = new List<int>();
        int left = batch;
        foreach (var b in _batchSizes)
            while (left >= b) { parts.Add(b); left -= b; }
        return parts;
    }

    /// <summary>Runs the model on host tensors and returns every graph output.</summary>
    public IReadOnlyDictionary<string, HostTensor> Run(IReadOnlyDictionary<string, HostTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var n in InputNames)
            if (!inputs.ContainsKey(n)) throw new ArgumentException($"Input '{n}' is missing (model inputs: {string.Join(", ", InputNames)})", nameof(inputs));
        int batch = HasDynamicBatch ? inputs[InputNames[0]].Shape[0] : -1;
        if (HasDynamicBatch && InputNames.Any(n => inputs[n].Shape.Length == 0 || inputs[n].Shape[0] != batch))
            throw new ArgumentException("Inputs disagree on the batch size", nameof(inputs));
        var chunks = HasDynamicBatch && batch > 0 ? SplitBatch(batch) : [batch];
        lock (_lock)
        {
            Dictionary<string, HostTensor>? result = null;
            int done = 0;
            foreach (var chunk in chunks)
            {
                var shapes = InputNames.ToDictionary(n => n, n => chunk < 0 ? inputs[n].Shape : [chunk, .. inputs[n].Shape[1..]]);
                var plan = GetPlan(shapes);
                var arena = _arena!;
                var s = Stream;
                foreach (var n in InputNames)
                {
                    var t = inputs[n];
                    long rowElems = chunk < 0 ? t.Count : t.Count / Math.Max(1, batch);
                    long count = chunk < 0 ? t.Count : rowElems * chunk;
                    var slot = plan.Locate(n, arena) ?? throw new InvalidOperationException($"input '{n}' has no arena slot");
                    s.Upload<float>(arena, t.Data.AsSpan((int)(rowElems * Math.Max(0, done)), (int)count), slot.Offset * 4);
                }
                plan.Enqueue(s, arena, _weights);
                result ??= OutputNames.Distinct().ToDictionary(o => o, o =>
                {
                    var os = (int[])plan.OutputShapes[o].Clone();
                    if (chunk >= 0 && os.Length > 0) os[0] = os[0] / chunk * batch;
                    return new HostTensor(new float[Lowering.Count(os)], os);
                });
                foreach (var (o, t) in result)
                {
                    long count = Lowering.Count(plan.OutputShapes[o]);
                    var dst = t.Data.AsSpan(chunk < 0 ? 0 : (int)(count / chunk * done), (int)count);
                    if (plan.Locate(o, arena) is { } slot) s.Download<float>(arena, dst, slot.Offset * 4);
                    else plan.ConstantOf(o)!.AsSpan(0, (int)count).CopyTo(dst);
                }
                done += Math.Max(chunk, 0);
            }
            OfferLazyTuning();
            return result!;
        }
    }

    /// <summary>
    /// Runs a single-input model on a batch already on the device ([batch, ...] fp32 at <paramref name="inputOffset"/>)
    /// and writes output <paramref name="outputName"/> (first output if null) to <paramref name="output"/>; nothing is
    /// synchronised, so the caller's next commands on the device stream see the result.
    /// </summary>
    public void Run(DeviceBuffer input, long inputOffset, int batch, DeviceBuffer output, long outputOffset, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (InputNames.Count != 1) throw new InvalidOperationException($"The device-buffer Run needs a single-input model (this one has {InputNames.Count})");
        if (!HasDynamicBatch) throw new InvalidOperationException("The device-buffer Run needs a model with a dynamic batch");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var name = InputNames[0];
        var outName = outputName ?? OutputNames[0];
        var rest = (InputShape(name) ?? throw new InvalidOperationException("input has no shape")).Dims.Skip(1)
            .Select(d => d.IsKnown ? (int)d.Value : throw new InvalidOperationException($"input '{name}' has a dynamic non-batch dimension")).ToArray();
        lock (_lock)
        {
            int done = 0;
            foreach (var chunk in SplitBatch(batch))
            {
                var plan = GetPlan(new Dictionary<string, int[]> { [name] = [chunk, .. rest] });
                var arena = _arena!;
                var s = Stream;
                long inRow = Lowering.Count(rest), outCount = Lowering.Count(plan.OutputShapes[outName]), outRow = outCount / chunk;
                var inSlot = plan.Locate(name, arena)!.Value;
                s.Copy(input, arena, inRow * chunk * 4, (inputOffset + inRow * done) * 4, inSlot.Offset * 4);
                plan.Enqueue(s, arena, _weights);
                var outSlot = plan.Locate(outName, arena) ?? throw new InvalidOperationException($"output '{outName}' is a constant");
                s.Copy(arena, output, outCount * 4, outSlot.Offset * 4, (outputOffset + outRow * done) * 4);
                done += chunk;
            }
            OfferLazyTuning();
        }
    }

    /// <summary>After the session's first inference (enqueued; the tuner waits for it to finish): lazy conv tuning on a
    /// CPU device with nothing tuned (Models/Tuning/LazyConvTuning, TUNING.md). Not for sessions given explicit tiles
    /// (A/B runs, benchmarks). Called under the session lock.</summary>
    private void OfferLazyTuning()
    {
        if (_tuningOffered) return;
        _tuningOffered = true;
        if (Options.ConvTiles is null) Tuning.LazyConvTuning.AfterFirstInference(Stream);
    }

    /// <summary>
    /// Runs one planned batch (inputs already shaped for a single plan) with a marker after every step and
    /// returns device milliseconds per step: where the time goes.
    /// </summary>
    public IReadOnlyList<(string Node, string OpType, double Ms)> Profile(IReadOnlyDictionary<string, HostTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        lock (_lock)
        {
            var plan = GetPlan(InputNames.ToDictionary(n => n, n => inputs[n].Shape));
            foreach (var n in InputNames)
                Stream.Upload<float>(_arena!, inputs[n].Data, plan.Locate(n, _arena!)!.Value.Offset * 4);
            return plan.EnqueueProfiled(Stream, _arena!, _weights);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            if (!_device.IsDisposed && !Stream.IsDisposed) Stream.Synchronize();
            _arena?.Dispose();
            _weights.Dispose();
        }
    }
}
