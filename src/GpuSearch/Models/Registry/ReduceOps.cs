// Reductions over axes (reduce.cl reduce_axes): ReduceMean/L2/Sum/Max/Min/SumSquare with keepdims and
// noop_with_empty_axes; axes are an attribute before opset 18 (ReduceSum: 13) and an input after, which must
// be known when planning. ReduceL1/ReduceProd have shape rules but no kernel yet.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ReduceOps : IOpFamily
{
    /// <summary>Reductions with a kernel, and the reduce.cl op code each runs.</summary>
    internal static readonly IReadOnlyList<(string Op, AxisReduceOp Kernel)> Lowered =
    [
        ("ReduceMean", AxisReduceOp.Mean), ("ReduceL2", AxisReduceOp.L2), ("ReduceSum", AxisReduceOp.Sum),
        ("ReduceMax", AxisReduceOp.Max), ("ReduceMin", AxisReduceOp.Min), ("ReduceSumSquare", AxisReduceOp.SumSquare),
    ];

    public IEnumerable<OpDefinition> Ops()
    {
        foreach (var (op, kernel) in Lowered)
            yield return new() { OpType = op, Check = CheckAxes, Shape = InferReduce, Lower = (l, n) => LowerReduce(l, n, kernel) };
        yield return new() { OpType = "ReduceL1", Shape = InferReduce };
        yield return new() { OpType = "ReduceProd", Shape = InferReduce };
    }

    private static string? CheckAxes(ModelGraph g, GraphNode n) =>
        AttributeRanges.First(AttributeRanges.Flag(n, "keepdims"), AttributeRanges.Flag(n, "noop_with_empty_axes"), SupportRules.KnownWhenPlanning(g, n, 1, "axes"));

    private static void InferReduce(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        // ReduceSum moved axes to an input at opset 13, the other reductions at opset 18.
        var axes = n.GetInts("axes") ?? ConstLongs(g, n, 1);
        if (axes is null && n.HasInput(1)) throw new NotSupportedException($"{n.Describe()}: axes input must be constant");
        bool keep = n.GetInt("keepdims", 1) != 0;
        bool noopEmpty = n.GetInt("noop_with_empty_axes", 0) != 0;
        if ((axes is null || axes.Length == 0) && noopEmpty) { SetOut(g, n, 0, In(g, n, 0).DataType, x); return; }
        var set = axes is null || axes.Length == 0
            ? Enumerable.Range(0, x.Rank).ToHashSet()
            : axes.Select(a => Axis(a, x.Rank, n)).ToHashSet();
        var dims = new List<Dim>();
        for (int i = 0; i < x.Rank; i++)
        {
            if (!set.Contains(i)) dims.Add(x[i]);
            else if (keep) dims.Add(Dim.Known(1));
        }
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
    }

    private static void LowerReduce(Lowering l, GraphNode n, AxisReduceOp op)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        long[]? axes = n.GetInts("axes");
        if (axes is null && n.HasInput(1)) axes = l.RequireInts(n, 1);
        if ((axes is null || axes.Length == 0) && n.GetInt("noop_with_empty_axes", 0) != 0) { l.Alias(y, x); return; }
        var ax = (axes ?? []).Select(a => Lowering.Axis(a, xs.Length, n)).ToArray();
        var ys = l.Shape(y);
        l.Emit(n, [x], [y], (s, v) =>
        {
            ReduceAxes.Run(s, op, ax, v[x].View(xs), v[y].View(ys));
        });
    }
}
