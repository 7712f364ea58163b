// Pooling: MaxPool/AveragePool (1-D and 2-D windows, geometry from ConvGeometry) and the global pools that
// collapse every spatial dim to 1. LpPool/GlobalLpPool have shape rules (model-info) but no kernel.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class PoolOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "MaxPool", Check = CheckPool, Shape = InferPool, Lower = (l, n) => LowerPool(l, n, max: true) },
        new() { OpType = "AveragePool", Check = CheckPool, Shape = InferPool, Lower = (l, n) => LowerPool(l, n, max: false) },
        new() { OpType = "LpPool", Shape = InferPool },
        new() { OpType = "GlobalMaxPool", Shape = InferGlobalPool, Lower = (l, n) => LowerGlobalPool(l, n, max: true) },
        new() { OpType = "GlobalAveragePool", Shape = InferGlobalPool, Lower = (l, n) => LowerGlobalPool(l, n, max: false) },
        new() { OpType = "GlobalLpPool", Shape = InferGlobalPool },
    ];

    private static string? CheckPool(ModelGraph g, GraphNode n)
    {
        if (n.GetInts("kernel_shape") is null) return "attribute kernel_shape is missing";
        if (n.OpType == "MaxPool" && n.Outputs.Count > 1 && n.Outputs[1].Length > 0) return "the Indices output is not supported";
        if (n.GetInt("storage_order", 0) != 0) return "attribute storage_order=1 is not supported";
        return AttributeRanges.First(AttributeRanges.Window(n), AttributeRanges.Flag(n, "ceil_mode"),
            AttributeRanges.Flag(n, "count_include_pad"), SupportRules.AutoPad(n));
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

    private static void LowerPool(Lowering l, GraphNode n, bool max)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        if (xs.Length is not (3 or 4)) throw new NotSupportedException($"{xs.Length - 2}-D pooling (only 1-D and 2-D)");
        var kernel = n.GetInts("kernel_shape") ?? throw new NotSupportedException("pool without kernel_shape");
        bool ceil = n.GetInt("ceil_mode", 0) != 0;
        var geo = ConvGeometry.Resolve(n, xs.Skip(2).Select(v => (long)v).ToArray(), kernel, ceil);
        bool oneD = xs.Length == 3;
        var shape = oneD
            ? new Pool2dShape(xs[0], xs[1], 1, xs[2], 1, (int)kernel[0], 1, (int)geo.Strides[0], 0, (int)geo.Pads[0], 0, (int)geo.Pads[1],
                1, (int)geo.Dilations[0], ceil)
            : new Pool2dShape(xs[0], xs[1], xs[2], xs[3], (int)kernel[0], (int)kernel[1], (int)geo.Strides[0], (int)geo.Strides[1],
                (int)geo.Pads[0], (int)geo.Pads[1], (int)geo.Pads[2], (int)geo.Pads[3], (int)geo.Dilations[0], (int)geo.Dilations[1], ceil);
        if ((long)shape.Batch * shape.Channels * shape.OutHeight * shape.OutWidth != Lowering.Count(l.Shape(y)))
            throw new InvalidOperationException($"pool output disagrees with inferred shape [{string.Join(",", l.Shape(y))}]");
        bool includePad = n.GetInt("count_include_pad", 0) != 0;
        var ys = l.Shape(y);
        l.Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x].View(xs); var Y = v[y].View(ys);
            if (max) Pool2d.Max(s, shape, X, Y);
            else Pool2d.Average(s, shape, X, Y, includePad);
        });
    }

    private static void LowerGlobalPool(Lowering l, GraphNode n, bool max)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        var ys = l.Shape(y);
        l.Emit(n, [x], [y], (s, v) => Pool2d.Global(s, max, v[x].View(xs), v[y].View(ys)));
    }
}
