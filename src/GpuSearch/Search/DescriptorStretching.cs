// Descriptor stretching (ISC 2021, Wang et al., "Bag of Tricks and A Strong Baseline for Image Copy Detection"):
// the paper's aim is to "stabilize the scores of different queries" so that one threshold, or micro-AP, which ranks
// all (query, hit) pairs together, treats every query alike. The authors' code scales the query descriptor by
// factor × (−score_n), score_n being the query's n-th nearest background score in their (negative distance)
// convention, i.e. the n-th nearest background L2 distance. Our reading on unit vectors: per query,
// d_n = sqrt(max(0, 2 − 2·s_n)) with s_n the query's n-th highest cosine to the background set (‖q − b‖² = 2 − 2·q·b),
// and the query's scores are multiplied by factor × d_n, which is the same as scaling the query vector. A query lying
// in a crowded region (small d_n) gets its scores shrunk, an isolated one stretched. One positive factor per query
// never reorders that query's hits. With score subtraction also on, stretching runs after it (the subtracted scores
// are scaled); d_n always comes from the raw background cosines.
namespace GpuSearch.Search;

/// <summary>Per-query score scales of descriptor stretching against a <see cref="BackgroundNormalizer"/>'s background.</summary>
internal static class DescriptorStretching
{
    /// <summary>The scale factor × d_n for a query whose n-th highest background cosine is <paramref name="nthSimilarity"/>.</summary>
    public static float Scale(float nthSimilarity, float factor) => factor * MathF.Sqrt(MathF.Max(0f, 2f - 2f * nthSimilarity));

    /// <summary>Checks n and the factor: n ≥ 1 and the factor finite and positive (a positive scale keeps each query's order).</summary>
    public static void Validate(int neighbours, float factor, string neighboursName, string factorName)
    {
        if (neighbours < 1) throw new ArgumentOutOfRangeException(neighboursName, neighbours, "stretching needs n ≥ 1");
        if (!float.IsFinite(factor) || factor <= 0) throw new ArgumentOutOfRangeException(factorName, factor, "the stretching factor must be finite and greater than 0");
    }

    /// <summary>Per query (row-major, the background's width), factor × d_n from its n-th highest background cosine.</summary>
    public static float[] Scales(BackgroundNormalizer background, ReadOnlySpan<float> queries, int neighbours, float factor)
    {
        ArgumentNullException.ThrowIfNull(background);
        Validate(neighbours, factor, nameof(neighbours), nameof(factor));
        var nth = background.NthSimilarities(queries, neighbours);
        var scales = new float[nth.Length];
        for (int q = 0; q < nth.Length; q++) scales[q] = Scale(nth[q], factor);
        return scales;
    }

    /// <summary>Multiplies each query's scores (Q × k, in place) by its scale.</summary>
    public static void Apply(ReadOnlySpan<float> scales, Span<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (scores.Length != (long)scales.Length * k)
            throw new ArgumentException($"scores must hold {scales.Length} × {k} floats, they hold {scores.Length}", nameof(scores));
        for (int q = 0; q < scales.Length; q++)
            foreach (ref var s in scores.Slice(q * k, k)) s *= scales[q];
    }
}
