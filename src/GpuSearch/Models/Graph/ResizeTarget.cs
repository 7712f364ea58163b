// What an ONNX Resize node resizes to: which inputs hold scales/sizes at its opset, how the opset-18
// `axes` and `keep_aspect_ratio_policy` attributes spread them over the rank, and the output dims the
// spec gives (floor(in · scale) for scales, the sizes themselves otherwise). Shared by shape inference,
// the validator and the executor so they cannot disagree.
namespace GpuSearch.Models.Graph;

/// <summary>Per-axis output dims and the scale each axis's coordinate transform uses.</summary>
/// <param name="OutDims">Output dims (symbolic where the input dim is symbolic and the axis is not resized).</param>
/// <param name="Scales">Per axis: the given scale, or out / in for sizes; NaN where the input dim is unknown.</param>
internal sealed record ResizeTarget(IReadOnlyList<Dim> OutDims, double[] Scales)
{
    /// <summary>Index of the scales input: opset 10 is (X, scales); from 11 it is (X, roi, scales, sizes).</summary>
    public static int ScalesInput(long opset) => opset < 11 ? 1 : 2;

    /// <summary>Index of the sizes input (opset 11 on).</summary>
    public const int SizesInput = 3;

    /// <summary>
    /// Resolves the target of <paramref name="n"/> for input shape <paramref name="x"/> from the constant
    /// contents of its scales and sizes inputs (null or empty = not given).
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed: both or neither given, wrong lengths, bad axes.</exception>
    public static ResizeTarget Resolve(GraphNode n, TensorShape x, float[]? scales, long[]? sizes) =>
        Resolve(n, x, scales, sizes?.Select(Dim.Known).ToArray());

    /// <summary>
    /// As <see cref="Resolve(GraphNode, TensorShape, float[], long[])"/>, with sizes that may hold symbols: torch
    /// exports <c>interpolate(size=...)</c> as Concat(Shape(x)[0:2], constant H, W), whose batch entry is the
    /// input's own symbolic batch.
    /// </summary>
    public static ResizeTarget Resolve(GraphNode n, TensorShape x, float[]? scales, IReadOnlyList<Dim>? sizes)
    {
        ArgumentNullException.ThrowIfNull(n);
        ArgumentNullException.ThrowIfNull(x);
        bool hasScales = scales is { Length: > 0 }, hasSizes = sizes is { Count: > 0 };
        if (hasScales == hasSizes)
            throw new InvalidDataException($"{n.Describe()}: Resize needs exactly one of scales and sizes (got {(hasScales ? "both" : "neither")})");
        var axes = Axes(n, x.Rank);
        int given = hasScales ? scales!.Length : sizes!.Count;
        if (given != axes.Length)
            throw new InvalidDataException($"{n.Describe()}: {given} {(hasScales ? "scales" : "sizes")} for {axes.Length} resized axes (rank {x.Rank})");
        var outDims = x.Dims.ToArray();
        var used = Enumerable.Repeat(1.0, x.Rank).ToArray();
        if (hasScales)
        {
            for (int k = 0; k < axes.Length; k++)
            {
                int a = axes[k];
                double s = scales![k];
                if (!(s > 0)) throw new InvalidDataException($"{n.Describe()}: scale {s} for axis {a} is not positive");
                used[a] = s;
                if (s != 1.0) outDims[a] = x[a].IsKnown ? Dim.Known(ShapeLimits.FloorToSize(x[a].Value * s, n.Describe())) : Dim.Symbolic("?");
            }
            return new ResizeTarget(outDims, used);
        }
        var policy = n.GetString("keep_aspect_ratio_policy", "stretch");
        if (policy == "stretch")
        {
            for (int k = 0; k < axes.Length; k++)
            {
                int a = axes[k];
                var size = sizes![k];
                if (size.IsKnown && size.Value <= 0) throw new InvalidDataException($"{n.Describe()}: size {size} for axis {a} is not positive");
                outDims[a] = size;
                used[a] = size == x[a] ? 1.0 : size.IsKnown && x[a].IsKnown ? size.Value / (double)x[a].Value : double.NaN;
            }
            return new ResizeTarget(outDims, used);
        }
        // not_larger / not_smaller: one scale for every listed axis, the smallest (largest) sizes[i] / in[i],
        // then out = round-half-up(in · scale).
        if (policy is not ("not_larger" or "not_smaller"))
            throw new InvalidDataException($"{n.Describe()}: keep_aspect_ratio_policy '{policy}' is not one of stretch, not_larger, not_smaller");
        if (axes.Any(a => !x[a].IsKnown) || sizes!.Any(d => !d.IsKnown)) return new ResizeTarget(outDims.Select((d, i) => axes.Contains(i) ? Dim.Symbolic("?") : d).ToArray(), used);
        var ratios = axes.Select((a, k) => sizes![k].Value / (double)x[a].Value).ToArray();
        double one = policy == "not_larger" ? ratios.Min() : ratios.Max();
        foreach (var a in axes)
        {
            used[a] = one;
            outDims[a] = Dim.Known(ShapeLimits.FloorToSize(x[a].Value * one + 0.5, n.Describe()));
        }
        return new ResizeTarget(outDims, used);
    }

    /// <summary>The axes scales/sizes refer to: the opset-18 <c>axes</c> attribute, or every axis.</summary>
    public static int[] Axes(GraphNode n, int rank)
    {
        var attr = n.GetInts("axes");
        if (attr is null) return Enumerable.Range(0, rank).ToArray();
        var axes = attr.Select(a => a < 0 ? a + rank : a).ToArray();
        if (axes.Any(a => a < 0 || a >= rank) || axes.Distinct().Count() != axes.Length)
            throw new InvalidDataException($"{n.Describe()}: axes [{string.Join(",", attr)}] are not distinct axes of rank {rank}");
        return axes.Select(a => (int)a).ToArray();
    }
}
