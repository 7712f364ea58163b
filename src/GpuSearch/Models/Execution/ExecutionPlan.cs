// A plan for one set of concrete input shapes (one batch size): the lowered steps in graph order and
// the arena offset of every intermediate tensor, placed by liveness. Building it binds the input
// shapes into the graph and re-runs shape inference, so shape arithmetic becomes plan-time constants.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

/// <summary>What to launch for one input shape, and where every tensor lives in the arena.</summary>
internal sealed class ExecutionPlan
{
    private readonly Lowering _lowering;
    private readonly Dictionary<string, long> _offsets; // element offsets of arena values (roots)

    /// <summary>Concrete input shapes the plan was made for.</summary>
    public IReadOnlyDictionary<string, int[]> InputShapes { get; }
    /// <summary>Concrete output shapes.</summary>
    public IReadOnlyDictionary<string, int[]> OutputShapes { get; }
    /// <summary>Bytes of the arena holding every intermediate tensor (peak live set, after reuse).</summary>
    public long ArenaBytes { get; }
    /// <summary>Bytes the same tensors would take without reuse.</summary>
    public long UnsharedBytes { get; }
    /// <summary>Number of enqueued steps.</summary>
    public int StepCount => _lowering.Steps.Count;
    /// <summary>Op type of each step, in launch order.</summary>
    public IReadOnlyList<string> StepOps => _lowering.Steps.Select(s => s.OpType).ToArray();

    internal IReadOnlyList<PlanStep> Steps => _lowering.Steps;

    private ExecutionPlan(Lowering lowering, Dictionary<string, long> offsets, IReadOnlyDictionary<string, int[]> inputs,
        IReadOnlyDictionary<string, int[]> outputs, long arena, long unshared)
    {
        _lowering = lowering; _offsets = offsets; InputShapes = inputs; OutputShapes = outputs; ArenaBytes = arena; UnsharedBytes = unshared;
    }

    /// <summary>Binds <paramref name="inputShapes"/> into <paramref name="graph"/> (mutating its inferred shapes) and plans.</summary>
    internal static ExecutionPlan Build(ModelGraph graph, IReadOnlyDictionary<string, int[]> inputShapes, SessionOptions options, DeviceInfo device)
    {
        foreach (var name in graph.Inputs)
        {
            if (graph.ConstantOf(name) is not null) continue;
            if (!inputShapes.TryGetValue(name, out var s)) throw new ArgumentException($"No shape given for model input '{name}'", nameof(inputShapes));
            graph.Value(name).Shape = TensorShape.Of(s.Select(d => (long)d).ToArray());
        }
        ShapeInference.Run(graph);
        var l = new Lowering(graph, options, device);
        l.Run();

        // Lifetimes of device values (alias roots that are not constants): graph inputs from the start,
        // graph outputs to the end, everything else from its writer to its last reader.
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        bool OnDevice(string root) => l.Const(root) is null && !l.HostInts.ContainsKey(root);
        void Touch(string v, int i)
        {
            var r = l.Root(v);
            if (!OnDevice(r)) return;
            first[r] = Math.Min(first.GetValueOrDefault(r, int.MaxValue), i);
            last[r] = Math.Max(last.GetValueOrDefault(r, int.MinValue), i);
        }
        foreach (var name in graph.Inputs.Where(n => graph.ConstantOf(n) is null)) Touch(name, -1);
        for (int i = 0; i < l.Steps.Count; i++)
        {
            foreach (var r in l.Steps[i].Reads) Touch(r, i);
            foreach (var w in l.Steps[i].Writes) Touch(w, i);
        }
        foreach (var o in graph.Outputs) Touch(o, l.Steps.Count);
        var requests = first.Keys.Select(r => new ArenaRequest(r, Lowering.Count(l.Shape(r)) * 4, first[r], last[r])).ToList();
        var (offsets, size) = ArenaPlanner.Place(requests);
        var elementOffsets = offsets.ToDictionary(kv => kv.Key, kv => kv.Value / 4, StringComparer.Ordinal);
        var ins = graph.Inputs.Where(n => graph.ConstantOf(n) is null).ToDictionary(n => n, l.Shape, StringComparer.Ordinal);
        var outs = graph.Outputs.Distinct().ToDictionary(n => n, l.Shape, StringComparer.Ordinal);
        return new ExecutionPlan(l, elementOffsets, ins, outs, size, ArenaPlanner.Unshared(requests));
    }

    /// <summary>Device memory of a value for this plan, or null for a constant (see <see cref="ConstantOf"/>).</summary>
    internal DeviceSlice? Locate(string name, DeviceBuffer arena) =>
        _offsets.TryGetValue(_lowering.Root(name), out var off) ? new DeviceSlice(arena, off) : null;

    /// <summary>Host data of a graph output that folded to a constant.</summary>
    internal float[]? ConstantOf(string name) => _lowering.Const(name)?.ToFloats();

    /// <summary>Enqueues every step on <paramref name="stream"/>.</summary>
    internal void Enqueue(ComputeStream stream, DeviceBuffer arena, WeightStore weights)
    {
        var b = new Bindings(this, arena, weights);
        foreach (var step in _lowering.Steps) step.Run(stream, b);
    }

    /// <summary>Enqueues every step with a marker after each and returns device milliseconds per step (blocks).</summary>
    internal List<(string Node, string OpType, double Ms)> EnqueueProfiled(ComputeStream stream, DeviceBuffer arena, WeightStore weights)
    {
        var b = new Bindings(this, arena, weights);
        var marks = new List<ComputeEvent> { stream.Record() };
        foreach (var step in _lowering.Steps)
        {
            step.Run(stream, b);
            marks.Add(stream.Record());
        }
        var result = new List<(string, string, double)>();
        for (int i = 0; i < _lowering.Steps.Count; i++)
            result.Add((_lowering.Steps[i].Node, _lowering.Steps[i].OpType, marks[i + 1].ElapsedSince(marks[i])));
        foreach (var m in marks) m.Dispose();
        return result;
    }

    private sealed class Bindings(ExecutionPlan plan, DeviceBuffer arena, WeightStore weights) : IPlanBindings
    {
        public DeviceSlice this[string name] => Weight(name, TensorStorage.F32);

        public DeviceSlice Weight(string name, TensorStorage storage)
        {
            var root = plan._lowering.Root(name);
            if (plan._offsets.TryGetValue(root, out var off)) return new DeviceSlice(arena, off);
            var c = plan._lowering.Const(root) ?? plan._lowering.Const(name)
                ?? throw new InvalidOperationException($"value '{name}' has neither an arena slot nor constant data");
            return weights.Get(root, c.ToFloats(), storage);
        }

        public DeviceSlice Derived(string name, Func<float[]> make) => weights.GetDerived(name, make);

        public DeviceSlice Derived(string name, long elements, Action<ConstantSink> make) => weights.GetDerived(name, elements, make);
    }
}
