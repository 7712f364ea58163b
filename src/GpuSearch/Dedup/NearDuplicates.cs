// Near-duplicate detection over a whole index: identical files by content hash first (no vectors needed), then
// an all-pairs range search on the device, a tile of stored vectors at a time as the queries, so only the pairs
// above the threshold ever reach the host (never the N×N matrix). Pairs are joined into groups by union-find.
using GpuSearch.Search;

namespace GpuSearch.Dedup;

/// <summary>Two items judged duplicates.</summary>
/// <param name="A">The lower id.</param>
/// <param name="B">The higher id.</param>
/// <param name="Score">Cosine similarity (1 for identical files).</param>
/// <param name="Identical">True when both files have the same content hash.</param>
public sealed record DuplicatePair(long A, long B, float Score, bool Identical);

/// <summary>What <see cref="NearDuplicates.Find"/> found.</summary>
/// <param name="Pairs">Every pair, by (A, B).</param>
/// <param name="Groups">Connected groups of two or more ids (each sorted), largest first, then by first id.</param>
/// <param name="Truncated">Items whose neighbours above the threshold exceeded the per-item cap (their extra pairs are missing).</param>
public sealed record DuplicateReport(IReadOnlyList<DuplicatePair> Pairs, IReadOnlyList<IReadOnlyList<long>> Groups, int Truncated);

/// <summary>Options of a duplicate search.</summary>
public sealed record DedupOptions
{
    /// <summary>Cosine similarity above which two images are duplicates.</summary>
    public float Threshold { get; init; } = 0.90f;
    /// <summary>Stored vectors searched as one batch of queries.</summary>
    public int TileRows { get; init; } = 256;
    /// <summary>Most neighbours kept per item (a group larger than this still joins through chains of pairs).</summary>
    public int MaxNeighbours { get; init; } = 256;
    /// <summary>
    /// Weights of the index's named embedding spaces (<see cref="ImageSearchEngine.Spaces"/>), as
    /// <see cref="QueryRefinement.Spaces"/>: a pair's score is Σ u_m·cos_m / Σu (spaces not named count 0), so an image
    /// still scores 1 with itself; null scores by the whole vector as indexed.
    /// </summary>
    public IReadOnlyDictionary<string, float>? Spaces { get; init; }
}

/// <summary>Finds duplicate pairs and groups.</summary>
internal static class NearDuplicates
{
    /// <summary>
    /// Finds duplicates among the items of <paramref name="index"/> (vectors L2-normalised, inner product =
    /// cosine). <paramref name="tiles"/> yields the same items' ids and vectors (row-major), a tile at a time;
    /// <paramref name="contentHashes"/> maps ids to content hashes for the identical-file fast path.
    /// </summary>
    public static DuplicateReport Find(IVectorIndex index, IEnumerable<(long[] Ids, float[] Vectors)> tiles,
        IReadOnlyDictionary<long, string> contentHashes, DedupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentNullException.ThrowIfNull(contentHashes);
        options ??= new DedupOptions();
        if (!float.IsFinite(options.Threshold)) throw new ArgumentOutOfRangeException(nameof(options), options.Threshold, "the threshold must be a finite number");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxNeighbours);
        var pairs = new Dictionary<(long, long), DuplicatePair>();
        foreach (var same in contentHashes.GroupBy(kv => kv.Value, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var ids = same.Select(kv => kv.Key).Order().ToArray();
            for (int i = 0; i < ids.Length; i++)
                for (int j = i + 1; j < ids.Length; j++) pairs[(ids[i], ids[j])] = new DuplicatePair(ids[i], ids[j], 1f, true);
        }
        int cap = (int)Math.Min(options.MaxNeighbours + 1L, Math.Max(1, index.Count)); // +1: the item finds itself
        int truncated = 0;
        foreach (var (ids, vectors) in tiles)
        {
            if (ids.Length == 0) continue;
            var r = index.RangeSearch(vectors, options.Threshold, cap, Metric.Ip);
            for (int q = 0; q < ids.Length; q++)
            {
                if (r.Dropped[q] > 0) truncated++;
                for (long h = r.Offsets[q]; h < r.Offsets[q + 1]; h++)
                {
                    long other = r.Ids[h];
                    if (other == ids[q]) continue;
                    var key = ids[q] < other ? (ids[q], other) : (other, ids[q]);
                    if (!pairs.ContainsKey(key)) pairs[key] = new DuplicatePair(key.Item1, key.Item2, r.Scores[h], false);
                }
            }
        }
        var sorted = pairs.Values.OrderBy(p => p.A).ThenBy(p => p.B).ToArray();
        return new DuplicateReport(sorted, Group(sorted), truncated);
    }

    /// <summary>Connected components of the pairs (union-find with path halving), each sorted, largest first.</summary>
    public static IReadOnlyList<IReadOnlyList<long>> Group(IEnumerable<DuplicatePair> pairs)
    {
        var parent = new Dictionary<long, long>();
        long Root(long x)
        {
            if (!parent.ContainsKey(x)) parent[x] = x;
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        foreach (var p in pairs)
        {
            long a = Root(p.A), b = Root(p.B);
            if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b);
        }
        return parent.Keys.GroupBy(Root).Select(g => (IReadOnlyList<long>)g.Order().ToArray())
            .OrderByDescending(g => g.Count).ThenBy(g => g[0]).ToArray();
    }
}
