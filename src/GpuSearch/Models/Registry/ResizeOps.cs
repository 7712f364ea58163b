// ONNX Resize: nearest and linear over H and W of 4-D tensors, opsets 10–21. ResizeSupport says what is
// refused and why; ResizeTarget is the one reading of scales/sizes shared with shape inference. Lowering
// checks N and C are untouched and makes the per-axis sampling table a plan-time constant.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ResizeOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() => [new() { OpType = "Resize", Check = ResizeSupport.Check, Shape = InferResize, Lower = LowerResize }];

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

    private static void LowerResize(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        if (xs.Length != 4) throw new NotSupportedException($"Resize of a {xs.Length}-D tensor (only 4-D NCHW, resized over H and W)");
        int si = ResizeTarget.ScalesInput(l.Graph.Opset);
        var scales = n.HasInput(si) ? l.Const(n.Input(si))?.ToFloats() ?? throw new NotSupportedException($"scales input '{n.Input(si)}' is not a constant") : null;
        var sizes = l.Graph.Opset >= 11 && n.HasInput(ResizeTarget.SizesInput) ? l.RequireInts(n, ResizeTarget.SizesInput) : null;
        var target = ResizeTarget.Resolve(n, TensorShape.Of(xs.Select(d => (long)d).ToArray()), scales, sizes);
        var outDims = target.OutDims.Select(d => d.Value).ToArray();
        if (outDims[0] != xs[0] || outDims[1] != xs[1])
            throw new NotSupportedException($"Resize changes N or C ([{string.Join(",", xs)}] → [{string.Join(",", outDims)}]): only H and W may be resized");
        // Antialiasing filters only linear downscaling; upscaling with it is a plain resize.
        if (n.GetInt("antialias", 0) != 0 && Interpolation(n) == ResizeInterpolation.Linear && (target.Scales[2] < 1 || target.Scales[3] < 1))
            throw new NotSupportedException("Resize attribute antialias=1 while an axis shrinks (no antialiasing filter)");
        var ys = l.Shape(y);
        if (!ys.Select(d => (long)d).SequenceEqual(outDims))
            throw new InvalidOperationException($"Resize output [{string.Join(",", outDims)}] disagrees with inferred shape [{string.Join(",", ys)}]");
        var shape = new Resize2dShape(xs[0], xs[1], xs[2], xs[3], ys[2], ys[3], target.Scales[2], target.Scales[3],
            Interpolation(n), Coordinates(l, n), Rounding(l, n));
        var table = $"{n.Name}@resize_table{xs[2]}x{xs[3]}";
        l.PlanConstants[table] = ConstTensor.FromFloats([shape.TableLength], Resize2d.Table(shape));
        l.Emit(n, [x, table], [y], (s, v) =>
        {
            Resize2d.Run(s, shape, v[x].View(xs), v[table].View([shape.TableLength]), v[y].View(ys));
        });
    }

    private static ResizeInterpolation Interpolation(GraphNode n) => n.GetString("mode", "nearest") switch
    {
        "nearest" => ResizeInterpolation.Nearest,
        "linear" => ResizeInterpolation.Linear,
        var m => throw new NotSupportedException($"Resize mode '{m}' (nearest, linear)"),
    };

    // Opset 10 has no coordinate or rounding attributes: its behaviour is asymmetric sampling.
    private static ResizeCoordinates Coordinates(Lowering l, GraphNode n)
    {
        if (l.Graph.Opset < 11) return ResizeCoordinates.Asymmetric;
        var ct = n.GetString("coordinate_transformation_mode", "half_pixel");
        return ResizeCoordinateMath.CoordinateNames.TryGetValue(ct, out var c) ? c
            : throw new NotSupportedException($"Resize coordinate_transformation_mode '{ct}'");
    }

    private static ResizeRounding Rounding(Lowering l, GraphNode n)
    {
        if (l.Graph.Opset < 11) return ResizeRounding.Opset10;
        var nm = n.GetString("nearest_mode", "round_prefer_floor");
        return ResizeCoordinateMath.RoundingNames.TryGetValue(nm, out var r) ? r : throw new NotSupportedException($"Resize nearest_mode '{nm}'");
    }
}
