// Shape rules for matrix products, reductions and normalisation: Gemm, MatMul, ReduceMean/ReduceL2 (axes as
// attribute before opset 18, input from 18), LayerNormalization, Resize.
namespace GpuSearch.Models.Graph;

public static partial class ShapeInference
{
    private static void AddMathOps(Dictionary<string, Action<ModelGraph, GraphNode>> d)
    {
        d["Gemm"] = InferGemm;
        d[FusedOps.FusedGemm] = InferGemm;
        d["MatMul"] = InferMatMul;
        foreach (var op in new[] { "ReduceMean", "ReduceL2", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceProd", "ReduceSumSquare" })
            d[op] = InferReduce;
        d["LayerNormalization"] = InferLayerNorm;
        d["Resize"] = InferResize;
    }

    private static void InferGemm(ModelGraph g, GraphNode n)
    {
        var a = ShapeOf(g, n, 0); var b = ShapeOf(g, n, 1);
        if (a.Rank != 2 || b.Rank != 2) throw new InvalidDataException($"{n.Describe()}: Gemm needs 2-D inputs, got {a} and {b}");
        bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
        Dim m = ta ? a[1] : a[0], k1 = ta ? a[0] : a[1], k2 = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (k1.IsKnown && k2.IsKnown && k1.Value != k2.Value)
            throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b}, transA={ta}, transB={tb})");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape([m, nn]));
    }

    private static void InferMatMul(ModelGraph g, GraphNode n)
    {
        var a = ShapeOf(g, n, 0); var b = ShapeOf(g, n, 1);
        if (a.Rank == 0 || b.Rank == 0) throw new InvalidDataException($"{n.Describe()}: MatMul inputs must not be scalars");
        // numpy.matmul: 1-D operands are promoted then the added dim is removed again.
        var a2 = a.Rank == 1 ? new TensorShape([Dim.Known(1), a[0]]) : a;
        var b2 = b.Rank == 1 ? new TensorShape([b[0], Dim.Known(1)]) : b;
        if (a2[-1].IsKnown && b2[-2].IsKnown && a2[-1].Value != b2[-2].Value)
            throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b})");
        var batch = Broadcast(new TensorShape(a2.Dims.SkipLast(2)), new TensorShape(b2.Dims.SkipLast(2)), n);
        var dims = batch.Dims.ToList();
        if (a.Rank > 1) dims.Add(a2[-2]);
        if (b.Rank > 1) dims.Add(b2[-1]);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
    }

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

    private static void InferLayerNorm(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        int axis = Axis(n.GetInt("axis", -1), x.Rank, n);
        SetOut(g, n, 0, In(g, n, 0).DataType, x);
        var stat = new TensorShape(x.Dims.Take(axis).Concat(Enumerable.Repeat(Dim.Known(1), x.Rank - axis)));
        SetOut(g, n, 1, TensorDataType.Float, stat);
        SetOut(g, n, 2, TensorDataType.Float, stat);
    }

    private static void InferResize(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        // Scales are float data (only a constant will do: one computed from constants is waited for, as the
        // optimizer re-runs inference after folding); sizes may also come from shape arithmetic.
        int si = ResizeTarget.ScalesInput(g.Opset);
        float[]? scales = null;
        if (n.HasInput(si)) scales = g.Value(n.Inputs[si]).Constant?.ToFloats() ?? throw new UnknownInputShapeException();
        Dim[]? sizes = null;
        if (g.Opset >= 11 && n.HasInput(ResizeTarget.SizesInput))
            sizes = IntsOf(g, n, ResizeTarget.SizesInput) ?? throw new UnknownInputShapeException();
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(ResizeTarget.Resolve(n, x, scales, sizes).OutDims));
    }
}
