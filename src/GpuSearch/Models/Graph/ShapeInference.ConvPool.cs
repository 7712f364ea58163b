// Shape rules for convolution and pooling: [N, C, spatial...] with geometry from ConvGeometry, global pools
// collapse spatial dims to 1. The batch dim is carried through untouched, symbolic or not.
namespace GpuSearch.Models.Graph;

public static partial class ShapeInference
{
    private static void AddConvAndPool(Dictionary<string, Action<ModelGraph, GraphNode>> d)
    {
        d["Conv"] = InferConv;
        d[FusedOps.FusedConv] = InferConv;
        d["MaxPool"] = InferPool;
        d["AveragePool"] = InferPool;
        d["LpPool"] = InferPool;
        d["GlobalAveragePool"] = InferGlobalPool;
        d["GlobalMaxPool"] = InferGlobalPool;
        d["GlobalLpPool"] = InferGlobalPool;
    }

    private static long[] Spatial(TensorShape s) => s.Dims.Skip(2).Select(x => x.IsKnown ? x.Value : -1L).ToArray();

    private static TensorShape WithSpatial(Dim n, Dim c, long[] spatial) =>
        new(new[] { n, c }.Concat(spatial.Select(v => v >= 0 ? Dim.Known(v) : Dim.Symbolic("?"))));

    private static void InferConv(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var w = ShapeOf(g, n, 1);
        if (x.Rank < 3) throw new InvalidDataException($"{n.Describe()}: input must have rank ≥ 3, got {x}");
        if (w.Rank != x.Rank) throw new InvalidDataException($"{n.Describe()}: weight {w} and input {x} ranks differ");
        long group = n.GetInt("group", 1);
        if (x[1].IsKnown && w[1].IsKnown && x[1].Value != w[1].Value * group)
            throw new InvalidDataException($"{n.Describe()}: input channels {x[1]} != weight channels {w[1]} × group {group}");
        var kernel = n.GetInts("kernel_shape") ?? w.Dims.Skip(2).Select(v => v.Value).ToArray();
        var geo = ConvGeometry.Resolve(n, Spatial(x), kernel);
        SetOut(g, n, 0, In(g, n, 0).DataType, WithSpatial(x[0], w[0], geo.Output));
    }

    private static void InferPool(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        if (x.Rank < 3) throw new InvalidDataException($"{n.Describe()}: input must have rank ≥ 3, got {x}");
        var kernel = n.GetInts("kernel_shape") ?? throw new InvalidDataException($"{n.Describe()}: kernel_shape attribute is required");
        var geo = ConvGeometry.Resolve(n, Spatial(x), kernel, n.GetInt("ceil_mode", 0) != 0);
        var shape = WithSpatial(x[0], x[1], geo.Output);
        SetOut(g, n, 0, In(g, n, 0).DataType, shape);
        SetOut(g, n, 1, TensorDataType.Int64, shape); // MaxPool's optional Indices
    }

    private static void InferGlobalPool(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(x.Dims.Take(2).Concat(Enumerable.Repeat(Dim.Known(1), x.Rank - 2))));
    }
}
