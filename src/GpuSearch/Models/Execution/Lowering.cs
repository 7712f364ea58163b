// Lowering of optimized IR nodes to plan steps for one set of concrete input shapes. Each op's lowering
// lives in its op definition (Registry/*Ops.cs); this class is the context every lowering uses: concrete
// shapes, host-known integer data (shape tensors), aliases (Reshape & co. move no data) and emission.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Registry;

namespace GpuSearch.Models.Execution;

/// <summary>Builds the steps of one plan from a shape-inferred graph.</summary>
internal sealed class Lowering
{
    public ModelGraph Graph { get; }
    public SessionOptions Options { get; }
    public ConvTiles Tiles { get; }
    public List<PlanStep> Steps { get; } = [];
    /// <summary>Value → the value whose memory it shares (resolved to the root).</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);
    /// <summary>Float constants made at plan time (e.g. Cast of host-known integers).</summary>
    public Dictionary<string, ConstTensor> PlanConstants { get; } = new(StringComparer.Ordinal);
    /// <summary>Integer tensors known on the host (shape arithmetic), by value name.</summary>
    public Dictionary<string, long[]> HostInts { get; } = new(StringComparer.Ordinal);
    /// <summary>fp32 scratch tensors of single steps (e.g. Winograd's transformed tiles), by name: element counts.</summary>
    private Dictionary<string, long> ScratchSizes { get; } = new(StringComparer.Ordinal);

    public Lowering(ModelGraph graph, SessionOptions options, DeviceInfo device)
    {
        Graph = graph;
        Options = options;
        Tiles = options.ConvTiles ?? ConvTiles.For(device);
        Backend = device.Backend;
        IsCpu = device.IsCpu;
    }

    /// <summary>True when the plan runs on a CPU device (PoCL), where some ops take CPU-only algorithms.</summary>
    public bool IsCpu { get; }

    /// <summary>The backend whose kernels the plan launches.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Lowers every node in order.</summary>
    public void Run()
    {
        foreach (var n in Graph.Nodes)
        {
            if (n.Outputs.Where(o => o.Length > 0).All(o => IsIntegral(o)) && TryHostEvaluate(n)) continue;
            if (OpRegistry.Find(n.OpType) is not { Lower: { } lower } op)
                throw new NotSupportedException($"{n.Describe()}: op {n.OpType} has no kernel in the executor");
            if (!op.RunsOn(Backend))
                throw new NotSupportedException($"{n.Describe()}: op {n.OpType} has no {Backend} kernel");
            try { lower(this, n); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or OverflowException)
            {
                throw new NotSupportedException($"{n.Describe()}: {e.Message}", e);
            }
        }
    }

    public bool IsIntegral(string v) => Graph.Value(v).DataType.IsIntegral();

    /// <summary>Concrete shape of a value (after binding the batch and shape inference).</summary>
    public int[] Shape(string v)
    {
        if (PlanConstants.TryGetValue(v, out var pc)) return pc.Dims.Select(d => (int)d).ToArray();
        if (ScratchSizes.TryGetValue(v, out var count)) return [checked((int)count)];
        var s = Graph.Value(v).Shape ?? throw new InvalidOperationException($"value '{v}' has no inferred shape");
        if (!s.IsFullyKnown) throw new InvalidOperationException($"value '{v}' has shape {s} with unknown dimensions");
        return s.ToLongs().Select(d => checked((int)d)).ToArray();
    }

    /// <summary>A float constant (initializer, folded or made at plan time), or null.</summary>
    public ConstTensor? Const(string v) =>
        v.Length == 0 ? null : PlanConstants.TryGetValue(v, out var c) ? c : Graph.ConstantOf(v);

    /// <summary>Integer data known on the host (constants and inferred shape tensors), or null.</summary>
    public long[]? Ints(string v)
    {
        if (v.Length == 0) return null;
        if (HostInts.TryGetValue(v, out var h)) return h;
        if (Graph.ConstantOf(v) is { } c) return c.ToLongs();
        var sym = Graph.Value(v).SymbolicData;
        return sym is not null && sym.All(d => d.Number is not null) ? sym.Select(d => d.Number!.Value).ToArray() : null;
    }

    /// <summary>Host-known integers of input <paramref name="i"/>, or an exception naming it.</summary>
    public long[] RequireInts(GraphNode n, int i) =>
        Ints(n.Input(i)) ?? throw new NotSupportedException($"input {i} ('{n.Input(i)}') must be known when planning (a constant or shape arithmetic)");

    /// <summary>Output value <paramref name="output"/> shares <paramref name="input"/>'s memory (no data moves).</summary>
    public void Alias(string output, string input)
    {
        if (Const(input) is { } c && c.IsFloating) { PlanConstants[output] = c.Reshaped(Shape(output).Select(d => (long)d).ToArray()); return; }
        Aliases[output] = Root(input);
    }

    /// <summary>
    /// Declares an fp32 scratch tensor of <paramref name="elements"/> named <paramref name="name"/> and returns the name. A
    /// step lists it among its writes: the arena places it like any value live during that step alone, so scratch
    /// is planned once per batch shape, shared with values not live then, and never allocated per run.
    /// </summary>
    public string Scratch(string name, long elements)
    {
        if (Graph.Values.ContainsKey(name) || PlanConstants.ContainsKey(name) || !ScratchSizes.TryAdd(name, elements))
            throw new InvalidOperationException($"scratch name '{name}' is already taken");
        return name;
    }

    /// <summary>The value whose memory <paramref name="v"/> uses.</summary>
    public string Root(string v) => Aliases.TryGetValue(v, out var r) ? r : v;

    /// <summary>Adds a step.</summary>
    public void Emit(GraphNode n, IEnumerable<string> reads, IEnumerable<string> writes, Action<ComputeStream, IPlanBindings> run) =>
        Steps.Add(new PlanStep(n.Name, n.OpType, reads.Where(r => r.Length > 0).ToArray(), writes.Where(w => w.Length > 0).ToArray(), run));

    /// <summary>Integer-only nodes (shape arithmetic) are evaluated at plan time when their data is known.</summary>
    private bool TryHostEvaluate(GraphNode n)
    {
        foreach (var o in n.Outputs)
        {
            if (o.Length == 0) continue;
            var ints = Ints(o);
            if (ints is null) return false;
            HostInts[o] = ints;
        }
        return true;
    }

    /// <summary>The activation of a fused node's epilogue.</summary>
    public static Activation FusedActivation(GraphNode n)
    {
        var a = n.GetFloat(FusedOps.AlphaAttr, 0f);
        var b = n.GetFloat(FusedOps.BetaAttr, 0f);
        return FusedOps.ActivationOf(n) switch
        {
            "None" => Activation.None,
            "Relu" => Activation.Relu,
            "LeakyRelu" => Activation.LeakyRelu(a),
            "Clip" => Activation.Clip(a, b),
            "Sigmoid" => Activation.Of(ActivationKind.Sigmoid),
            "HardSigmoid" => Activation.HardSigmoid(a, b),
            "HardSwish" => Activation.Of(ActivationKind.HardSwish),
            "SiLU" => Activation.Of(ActivationKind.Silu),
            "Gelu" => Activation.Of(ActivationKind.Gelu),
            "GeluTanh" => Activation.Of(ActivationKind.GeluTanh),
            "Tanh" => Activation.Of(ActivationKind.Tanh),
            var s => throw new NotSupportedException($"{n.Describe()}: activation '{s}' is not supported"),
        };
    }

    /// <summary>Normalises a possibly negative axis.</summary>
    public static int Axis(long axis, int rank, GraphNode n)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new NotSupportedException($"{n.Describe()}: axis {axis} is outside rank {rank}");
        return (int)a;
    }

    public static long Count(int[] shape) => shape.Aggregate(1L, (a, d) => a * d);
}
