// Exact (brute-force) index on one device: a VectorSet plus the scan. The IVectorIndex implementation
// the CLI and the sharded index use.
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>Exact k-NN and range search over one device's <see cref="VectorSet"/>.</summary>
internal sealed class FlatIndex : IVectorIndex
{
    /// <summary>The stored vectors.</summary>
    public VectorSet Set { get; }

    /// <summary>Kernel tunables (defaults suit most devices).</summary>
    public ScanTuning Tuning { get; set; } = ScanTuning.Default;

    /// <summary>Creates an empty index on <paramref name="device"/> (not owned: dispose it after the index).</summary>
    public FlatIndex(ComputeDevice device, int dimension, VectorStorage storage = VectorStorage.Fp32, VectorSetOptions? options = null) =>
        Set = new VectorSet(device, dimension, storage, options);

    // One sequence for every index in the process, so a rebuilt index never repeats a number its predecessor showed.
    private static long s_revisions;

    /// <summary>
    /// Changes whenever the contents change (add, remove) and differs between index objects: a cache of answers computed from
    /// the index (the server's duplicate groups) compares it to know whether they still hold.
    /// </summary>
    public long Revision { get; private set; } = Interlocked.Increment(ref s_revisions);

    /// <inheritdoc />
    public int Dimension => Set.Dimension;
    /// <inheritdoc />
    public long Count => Set.Count;

    /// <inheritdoc />
    public void Add(ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids)
    {
        Set.Add(vectors, ids);
        Revision = Interlocked.Increment(ref s_revisions);
    }

    /// <inheritdoc />
    public int Remove(ReadOnlySpan<long> ids)
    {
        int removed = Set.Remove(ids);
        if (removed > 0) Revision = Interlocked.Increment(ref s_revisions);
        return removed;
    }

    /// <summary>Reclaims the space of removed vectors.</summary>
    public void Compact() => Set.Compact();

    /// <inheritdoc />
    public SearchResult Search(ReadOnlySpan<float> queries, int k, Metric metric, IdFilter? filter = null)
    {
        var (ids, scores, _) = ExactScanner.Run(Set, queries, k, metric, filter, null, Tuning);
        return new SearchResult(queries.Length / Dimension, k, ids, scores);
    }

    /// <summary>Q×k lists plus per-query hit counts (range search when <paramref name="range"/> is set).</summary>
    internal (long[] Ids, float[] Scores, int[] Hits) SearchRaw(ReadOnlySpan<float> queries, int k, Metric metric, IdFilter? filter, float? range) =>
        ExactScanner.Run(Set, queries, k, metric, filter, range, Tuning);

    /// <inheritdoc />
    public RangeResult RangeSearch(ReadOnlySpan<float> queries, float threshold, int maxHits, Metric metric, IdFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHits);
        var (ids, scores, hits) = ExactScanner.Run(Set, queries, maxHits, metric, filter, threshold, Tuning);
        return RangeFromTopK(queries.Length / Dimension, maxHits, ids, scores, Array.ConvertAll(hits, h => (long)h));
    }

    /// <summary>Compacts Q×cap top lists (padded with -1) plus total hit counts into a <see cref="RangeResult"/>.</summary>
    internal static RangeResult RangeFromTopK(int nq, int cap, long[] ids, float[] scores, IReadOnlyList<long> hits)
    {
        var offsets = new long[nq + 1];
        var dropped = new long[nq];
        var outIds = new List<long>();
        var outScores = new List<float>();
        for (int q = 0; q < nq; q++)
        {
            int kept = 0;
            for (int j = 0; j < cap && ids[(long)q * cap + j] >= 0; j++, kept++)
            {
                outIds.Add(ids[(long)q * cap + j]);
                outScores.Add(scores[(long)q * cap + j]);
            }
            offsets[q + 1] = offsets[q] + kept;
            dropped[q] = hits[q] - kept;
        }
        return new RangeResult(nq, offsets, outIds.ToArray(), outScores.ToArray(), dropped);
    }

    /// <inheritdoc />
    public void Dispose() => Set.Dispose();
}
