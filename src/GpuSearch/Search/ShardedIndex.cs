// Exact search over several devices: the database is split into one FlatIndex per device, every
// shard is searched in parallel, and the per-shard lists are merged on the host with the same total
// order the kernels use (better score, then lower id), so results equal a single-device search.
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>A database sharded across devices; searches run on all shards and merge.</summary>
internal sealed class ShardedIndex : IVectorIndex
{
    private readonly FlatIndex[] _shards;

    /// <summary>One shard per device (devices are not owned: dispose them after the index).</summary>
    public ShardedIndex(IReadOnlyList<ComputeDevice> devices, int dimension, VectorStorage storage = VectorStorage.Fp32,
        VectorSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count == 0) throw new ArgumentException("At least one device is needed", nameof(devices));
        _shards = devices.Select(d => new FlatIndex(d, dimension, storage, options)).ToArray();
    }

    /// <summary>The per-device indexes.</summary>
    public IReadOnlyList<FlatIndex> Shards => _shards;

    /// <summary>Tunables applied to every shard.</summary>
    public ScanTuning Tuning
    {
        get => _shards[0].Tuning;
        set { foreach (var s in _shards) s.Tuning = value; }
    }

    /// <inheritdoc />
    public int Dimension => _shards[0].Dimension;
    /// <inheritdoc />
    public long Count => _shards.Sum(s => s.Count);

    /// <summary>Adds the batch split into contiguous, near-equal slices, the emptiest shard first.</summary>
    public void Add(ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids)
    {
        if (vectors.Length != (long)ids.Length * Dimension)
            throw new ArgumentException($"{vectors.Length} values are not {ids.Length} vectors of dimension {Dimension}", nameof(vectors));
        foreach (var id in ids)
            if (_shards.Any(s => s.Set.Contains(id))) throw new ArgumentException($"Duplicate id {id}", nameof(ids));
        var order = Enumerable.Range(0, _shards.Length).OrderBy(i => _shards[i].Count).ThenBy(i => i).ToArray();
        int n = ids.Length, start = 0;
        for (int j = 0; j < order.Length; j++)
        {
            int take = n / order.Length + (j < n % order.Length ? 1 : 0);
            if (take == 0) continue;
            _shards[order[j]].Add(vectors.Slice(start * Dimension, take * Dimension), ids.Slice(start, take));
            start += take;
        }
    }

    /// <inheritdoc />
    public int Remove(ReadOnlySpan<long> ids)
    {
        int removed = 0;
        foreach (var s in _shards) removed += s.Remove(ids);
        return removed;
    }

    /// <summary>Reclaims removed space on every shard.</summary>
    public void Compact() { foreach (var s in _shards) s.Compact(); }

    private (long[] Ids, float[] Scores, int[] Hits)[] RunAll(ReadOnlySpan<float> queries, int k, Metric metric, IdFilter? filter, float? range)
    {
        var q = queries.ToArray();
        var results = new (long[], float[], int[])[_shards.Length];
        Parallel.For(0, _shards.Length, i => results[i] = _shards[i].SearchRaw(q, k, metric, filter, range));
        return results;
    }

    /// <inheritdoc />
    public SearchResult Search(ReadOnlySpan<float> queries, int k, Metric metric, IdFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int nq = queries.Length / Dimension;
        var parts = RunAll(queries, k, metric, filter, null);
        var (ids, scores) = MergeLists(parts, nq, k, k, metric);
        return new SearchResult(nq, k, ids, scores);
    }

    /// <inheritdoc />
    public RangeResult RangeSearch(ReadOnlySpan<float> queries, float threshold, int maxHits, Metric metric, IdFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHits);
        int nq = queries.Length / Dimension;
        var parts = RunAll(queries, maxHits, metric, filter, threshold);
        var (ids, scores) = MergeLists(parts, nq, maxHits, maxHits, metric);
        var hits = new long[nq];
        foreach (var p in parts) for (int q = 0; q < nq; q++) hits[q] += p.Hits[q];
        return FlatIndex.RangeFromTopK(nq, maxHits, ids, scores, hits);
    }

    /// <summary>Per query, the best kout of the shards' lists of kin under the kernels' total order.</summary>
    internal static (long[] Ids, float[] Scores) MergeLists((long[] Ids, float[] Scores, int[] Hits)[] parts, int nq, int kin, int kout, Metric metric)
    {
        var ids = new long[(long)nq * kout];
        var scores = new float[(long)nq * kout];
        var buf = new List<(float Score, long Id)>(parts.Length * kin);
        for (int q = 0; q < nq; q++)
        {
            buf.Clear();
            foreach (var p in parts)
                for (int j = 0; j < kin; j++) buf.Add((p.Scores[(long)q * kin + j], p.Ids[(long)q * kin + j]));
            buf.Sort((a, b) => Composite.Before(metric, a.Score, a.Id, b.Score, b.Id) ? -1
                : Composite.Before(metric, b.Score, b.Id, a.Score, a.Id) ? 1 : 0);
            for (int j = 0; j < kout; j++) (scores[(long)q * kout + j], ids[(long)q * kout + j]) = buf[j];
        }
        return (ids, scores);
    }

    /// <inheritdoc />
    public void Dispose() { foreach (var s in _shards) s.Dispose(); }
}
