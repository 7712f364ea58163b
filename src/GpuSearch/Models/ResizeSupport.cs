// The validator's check of ONNX Resize: which modes, attributes and inputs the engine runs (nearest and
// linear over H and W of 4-D tensors, constant scales/sizes) and a reason naming the attribute or input
// for everything else. Shape-dependent parts (rank, N/C unchanged) are checked here when the input's
// shape is declared, and again by the executor once shapes are concrete.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models;

internal static class ResizeSupport
{
    /// <summary>Null when the engine runs <paramref name="n"/>, else why not.</summary>
    public static string? Check(ModelGraph g, GraphNode n)
    {
        var mode = n.GetString("mode", "nearest");
        if (mode is not ("nearest" or "linear")) return $"attribute mode='{mode}' is not supported (nearest, linear)";
        if (g.Opset >= 11 && CoordinateProblem(g, n) is { } c) return c;
        if (g.Opset >= 11 && mode == "nearest" && !ResizeCoordinateMath.RoundingNames.ContainsKey(n.GetString("nearest_mode", "round_prefer_floor")))
            return $"attribute nearest_mode='{n.GetString("nearest_mode", "")}' is not supported ({string.Join(", ", ResizeCoordinateMath.RoundingNames.Keys)})";
        // Output size must be known when planning: scales must be constant (or fold to one); sizes may also be
        // shape arithmetic (torch's interpolate(size=...) concatenates Shape(x)[0:2] with the constant H, W).
        int si = ResizeTarget.ScalesInput(g.Opset);
        if (n.HasInput(si) && !Registry.SupportRules.IsConstantExpression(g, n.Inputs[si]))
            return $"input {si} ('{n.Inputs[si]}') is not a constant (scales must be constant or foldable)";
        // Whether shape arithmetic really evaluates on the host is checked when planning, which names the input if not.
        if (g.Opset >= 11 && n.HasInput(ResizeTarget.SizesInput) && !Registry.SupportRules.IsComputedFrom(g, n.Inputs[ResizeTarget.SizesInput], shapeIsLeaf: true))
            return $"input {ResizeTarget.SizesInput} ('{n.Inputs[ResizeTarget.SizesInput]}') is not a constant or shape arithmetic (sizes must be known when planning)";
        var scales = n.HasInput(si) ? g.ConstantOf(n.Inputs[si])?.ToFloats() : null;
        var sizes = g.Opset >= 11 && n.HasInput(ResizeTarget.SizesInput) ? g.ConstantOf(n.Inputs[ResizeTarget.SizesInput])?.ToLongs() : null;
        if (n.GetInt("antialias", 0) != 0 && mode == "linear" && Shrinks(g, n, scales, sizes))
            return "attribute antialias=1 is not supported when an axis shrinks (no antialiasing filter)";
        return ShapeProblem(g, n, scales, sizes);
    }

    private static string? CoordinateProblem(ModelGraph g, GraphNode n)
    {
        var ct = n.GetString("coordinate_transformation_mode", "half_pixel");
        if (ct == "tf_crop_and_resize") return "attribute coordinate_transformation_mode='tf_crop_and_resize' is not supported (roi cropping)";
        // Each mode exists only in the opsets whose spec defines it.
        bool known = ResizeCoordinateMath.CoordinateNames.ContainsKey(ct)
                     && !(ct == "tf_half_pixel_for_nn" && g.Opset >= 13) && !(ct == "half_pixel_symmetric" && g.Opset < 19);
        return known ? null
            : $"attribute coordinate_transformation_mode='{ct}' is not supported at opset {g.Opset} (half_pixel, pytorch_half_pixel, align_corners, asymmetric" +
              (g.Opset < 13 ? ", tf_half_pixel_for_nn" : "") + (g.Opset >= 19 ? ", half_pixel_symmetric" : "") + ")";
    }

    // Antialiasing only changes linear downscaling; when every axis keeps or grows it is a plain resize.
    // Where the scales are not visible yet (folded later, or sizes on an undeclared shape) the executor
    // makes the same check once shapes are concrete.
    private static bool Shrinks(ModelGraph g, GraphNode n, float[]? scales, long[]? sizes)
    {
        if (scales is { Length: > 0 }) return scales.Any(s => s < 1f);
        var x = g.Value(n.Input(0)).Shape;
        if (sizes is not { Length: > 0 } || x is null) return false;
        try { return ResizeTarget.Resolve(n, x, null, sizes).Scales.Any(s => s < 1.0); }
        catch (InvalidDataException) { return false; }
    }

    private static string? ShapeProblem(ModelGraph g, GraphNode n, float[]? scales, long[]? sizes)
    {
        var x = g.Value(n.Input(0)).Shape;
        if (x is not null && x.Rank != 4) return $"input 0 has rank {x.Rank} (only 4-D NCHW tensors resized over H and W)";
        int rank = x?.Rank ?? 4;
        int[] axes;
        try { axes = ResizeTarget.Axes(n, rank); }
        catch (InvalidDataException e) { return e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..]; }
        if (scales is { Length: > 0 })
            for (int k = 0; k < Math.Min(axes.Length, scales.Length); k++)
                if (axes[k] < 2 && scales[k] != 1f) return $"scales[{k}]={scales[k]} resizes axis {axes[k]} ({(axes[k] == 0 ? "N" : "C")}): only H and W may be scaled";
        if (sizes is { Length: > 0 } && x is not null)
            for (int k = 0; k < Math.Min(axes.Length, sizes.Length); k++)
                if (axes[k] < 2 && x[axes[k]].IsKnown && sizes[k] != x[axes[k]].Value)
                    return $"sizes[{k}]={sizes[k]} resizes axis {axes[k]} ({(axes[k] == 0 ? "N" : "C")}, {x[axes[k]]}): only H and W may be resized";
        var policy = n.GetString("keep_aspect_ratio_policy", "stretch");
        if (policy is not ("stretch" or "not_larger" or "not_smaller"))
            return $"attribute keep_aspect_ratio_policy='{policy}' is not supported (stretch, not_larger, not_smaller)";
        return null;
    }
}
