// Re-ranking by neighbourhood averaging (Radenović et al.): α-query-expansion replaces a query by the normalised
// weighted sum of itself and its n best results; database-side augmentation does the same for every stored
// vector with its own neighbours. Weights are max(score, 0)^α. Both help when an item has several relevant
// neighbours (landmarks, products); for copy detection with one original per query they mostly hurt (README).
namespace GpuSearch.Search;

/// <summary>α-query-expansion and database-side augmentation over an <see cref="IVectorIndex"/> (inner product).</summary>
internal static class Reranking
{
    /// <summary>
    /// Expanded queries: for each query q (row-major, L2-normalised) with its <paramref name="neighbours"/> best
    /// results x_i (scores s_i), normalise(q + Σ max(s_i, 0)^α x_i). <paramref name="vectorOf"/> gives a stored vector by id.
    /// </summary>
    public static float[] ExpandQueries(IVectorIndex index, ReadOnlySpan<float> queries, int neighbours, float alpha, Func<long, float[]> vectorOf)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(vectorOf);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        int d = index.Dimension;
        var result = index.Search(queries, neighbours, Metric.Ip);
        var expanded = queries.ToArray();
        for (int q = 0; q < result.QueryCount; q++)
            Accumulate(expanded.AsSpan(q * d, d), result.IdsOf(q), result.ScoresOf(q), alpha, vectorOf, skipId: null);
        return expanded;
    }

    /// <summary>
    /// Database-side augmentation: each stored vector (<paramref name="vectors"/> with <paramref name="ids"/>, as in
    /// the index) becomes normalise(x + Σ max(s_i, 0)^α x_i) over its <paramref name="neighbours"/> best other items.
    /// Returns the new vectors in the same order; re-add them to use them.
    /// </summary>
    public static float[] AugmentDatabase(IVectorIndex index, ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids, int neighbours, float alpha)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        int d = index.Dimension;
        if (vectors.Length != (long)ids.Length * d) throw new ArgumentException($"vectors must hold {ids.Length} × {d} floats", nameof(vectors));
        var original = vectors.ToArray();
        var row = new Dictionary<long, int>(ids.Length);
        for (int i = 0; i < ids.Length; i++) row[ids[i]] = i;
        return AugmentItems(index, vectors, ids, neighbours, alpha, id => original.AsSpan(row[id] * d, d).ToArray());
    }

    /// <summary>
    /// Database-side augmentation of some stored items only (the shortlist of a query-time re-rank): each of
    /// <paramref name="vectors"/> (the items <paramref name="ids"/>, as stored in the index) becomes
    /// normalise(x + Σ max(s_i, 0)^α x_i) over its <paramref name="neighbours"/> best other items of the whole index,
    /// whose vectors <paramref name="vectorOf"/> gives by id.
    /// </summary>
    public static float[] AugmentItems(IVectorIndex index, ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids, int neighbours, float alpha,
        Func<long, float[]> vectorOf)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(vectorOf);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        int d = index.Dimension;
        if (vectors.Length != (long)ids.Length * d) throw new ArgumentException($"vectors must hold {ids.Length} × {d} floats", nameof(vectors));
        var augmented = vectors.ToArray();
        if (ids.Length == 0) return augmented;
        // One more neighbour than asked: the item finds itself first and is skipped.
        var result = index.Search(vectors, neighbours + 1, Metric.Ip);
        for (int i = 0; i < ids.Length; i++)
            Accumulate(augmented.AsSpan(i * d, d), result.IdsOf(i), result.ScoresOf(i), alpha, vectorOf, skipId: ids[i], limit: neighbours);
        return augmented;
    }

    /// <summary>
    /// One vector's expansion in place: <paramref name="target"/> becomes normalise(target + Σ max(s_i, 0)^α x_i) over
    /// its first <paramref name="limit"/> neighbours (ids below 0 and <paramref name="skipId"/> are passed over).
    /// </summary>
    public static void Accumulate(Span<float> target, ReadOnlySpan<long> ids, ReadOnlySpan<float> scores, float alpha, Func<long, float[]> vectorOf,
        long? skipId = null, int limit = int.MaxValue)
    {
        var sum = new double[target.Length];
        for (int j = 0; j < target.Length; j++) sum[j] = target[j];
        int used = 0;
        for (int i = 0; i < ids.Length && used < limit; i++)
        {
            if (ids[i] < 0 || ids[i] == skipId) continue;
            used++;
            double w = Math.Pow(Math.Max(scores[i], 0f), alpha);
            var x = vectorOf(ids[i]);
            for (int j = 0; j < target.Length; j++) sum[j] += w * x[j];
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        for (int j = 0; j < target.Length; j++) target[j] = norm == 0 ? 0f : (float)(sum[j] / norm);
    }
}
