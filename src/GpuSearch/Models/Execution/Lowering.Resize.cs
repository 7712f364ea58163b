// Lowering of ONNX Resize (nearest/linear over H and W of 4-D tensors): resolves the concrete target,
// checks that N and C are untouched, and makes the per-axis sampling table a plan-time constant so it is
// uploaded once with the weights.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddResize(Dictionary<string, Action<Lowering, GraphNode>> h) => h["Resize"] = (l, n) => l.LowerResize(n);

    private void LowerResize(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        if (xs.Length != 4) throw new NotSupportedException($"Resize of a {xs.Length}-D tensor (only 4-D NCHW, resized over H and W)");
        int si = ResizeTarget.ScalesInput(Graph.Opset);
        var scales = n.HasInput(si) ? Const(n.Input(si))?.ToFloats() ?? throw new NotSupportedException($"scales input '{n.Input(si)}' is not a constant") : null;
        var sizes = Graph.Opset >= 11 && n.HasInput(ResizeTarget.SizesInput) ? RequireInts(n, ResizeTarget.SizesInput) : null;
        var target = ResizeTarget.Resolve(n, TensorShape.Of(xs.Select(d => (long)d).ToArray()), scales, sizes);
        var outDims = target.OutDims.Select(d => d.Value).ToArray();
        if (outDims[0] != xs[0] || outDims[1] != xs[1])
            throw new NotSupportedException($"Resize changes N or C ([{string.Join(",", xs)}] → [{string.Join(",", outDims)}]): only H and W may be resized");
        // Antialiasing filters only linear downscaling; upscaling with it is a plain resize.
        if (n.GetInt("antialias", 0) != 0 && Interpolation(n) == ResizeInterpolation.Linear && (target.Scales[2] < 1 || target.Scales[3] < 1))
            throw new NotSupportedException("Resize attribute antialias=1 while an axis shrinks (no antialiasing filter)");
        var ys = Shape(y);
        if (!ys.Select(d => (long)d).SequenceEqual(outDims))
            throw new InvalidOperationException($"Resize output [{string.Join(",", outDims)}] disagrees with inferred shape [{string.Join(",", ys)}]");
        var shape = new Resize2dShape(xs[0], xs[1], xs[2], xs[3], ys[2], ys[3], target.Scales[2], target.Scales[3],
            Interpolation(n), Coordinates(n), Rounding(n));
        var table = $"{n.Name}@resize_table{xs[2]}x{xs[3]}";
        PlanConstants[table] = ConstTensor.FromFloats([shape.TableLength], Resize2d.Table(shape));
        Emit(n, [x, table], [y], (s, v) =>
        {
            var X = v[x]; var T = v[table]; var Y = v[y];
            Resize2d.Run(s, shape, X.Buffer, X.Offset, T.Buffer, T.Offset, Y.Buffer, Y.Offset);
        });
    }

    private static ResizeInterpolation Interpolation(GraphNode n) => n.GetString("mode", "nearest") switch
    {
        "nearest" => ResizeInterpolation.Nearest,
        "linear" => ResizeInterpolation.Linear,
        var m => throw new NotSupportedException($"Resize mode '{m}' (nearest, linear)"),
    };

    // Opset 10 has no coordinate or rounding attributes: its behaviour is asymmetric sampling.
    private ResizeCoordinates Coordinates(GraphNode n)
    {
        if (Graph.Opset < 11) return ResizeCoordinates.Asymmetric;
        var ct = n.GetString("coordinate_transformation_mode", "half_pixel");
        return ResizeCoordinateMath.CoordinateNames.TryGetValue(ct, out var c) ? c
            : throw new NotSupportedException($"Resize coordinate_transformation_mode '{ct}'");
    }

    private ResizeRounding Rounding(GraphNode n)
    {
        if (Graph.Opset < 11) return ResizeRounding.Opset10;
        var nm = n.GetString("nearest_mode", "round_prefer_floor");
        return ResizeCoordinateMath.RoundingNames.TryGetValue(nm, out var r) ? r : throw new NotSupportedException($"Resize nearest_mode '{nm}'");
    }
}
