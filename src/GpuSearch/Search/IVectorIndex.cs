// The small index contract (FAISS-like): add, remove, k-NN search and range search with filters.
namespace GpuSearch.Search;

/// <summary>k-NN results: row-major Q×k ids and scores, best first. A query with fewer than k
/// candidates is padded with id -1 and score -inf (IP, cosine) or +inf (L2).</summary>
/// <param name="QueryCount">Q.</param>
/// <param name="K">Results per query.</param>
/// <param name="Ids">External ids, length Q×k.</param>
/// <param name="Scores">Scores (L2: squared distances), length Q×k.</param>
internal sealed record SearchResult(int QueryCount, int K, long[] Ids, float[] Scores)
{
    /// <summary>The ids of query <paramref name="q"/>.</summary>
    public ReadOnlySpan<long> IdsOf(int q) => Ids.AsSpan(q * K, K);
    /// <summary>The scores of query <paramref name="q"/>.</summary>
    public ReadOnlySpan<float> ScoresOf(int q) => Scores.AsSpan(q * K, K);
}

/// <summary>Range-search results: for query q, hits <c>Offsets[q] .. Offsets[q+1]-1</c> (best first, at most
/// the cap), and <c>Dropped[q]</c> hits beyond the cap that were not returned.</summary>
/// <param name="QueryCount">Q.</param>
/// <param name="Offsets">Q+1 offsets into <paramref name="Ids"/> and <paramref name="Scores"/>.</param>
/// <param name="Ids">External ids of every returned hit.</param>
/// <param name="Scores">Their scores.</param>
/// <param name="Dropped">Per query, hits above the threshold that exceeded the cap.</param>
internal sealed record RangeResult(int QueryCount, long[] Offsets, long[] Ids, float[] Scores, long[] Dropped);

/// <summary>An index of vectors with 64-bit external ids supporting exact search.</summary>
internal interface IVectorIndex : IDisposable
{
    /// <summary>Vector dimension.</summary>
    int Dimension { get; }
    /// <summary>Live vectors.</summary>
    long Count { get; }
    /// <summary>Appends vectors (row-major) with their ids.</summary>
    void Add(ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids);
    /// <summary>Removes ids; returns how many were present.</summary>
    int Remove(ReadOnlySpan<long> ids);
    /// <summary>Exact top-<paramref name="k"/> of each query (row-major, Q = length / Dimension).</summary>
    SearchResult Search(ReadOnlySpan<float> queries, int k, Metric metric, IdFilter? filter = null);
    /// <summary>Every hit with score above <paramref name="threshold"/> (L2: distance below it), best first, at
    /// most <paramref name="maxHits"/> per query, with the count of hits dropped by the cap.</summary>
    RangeResult RangeSearch(ReadOnlySpan<float> queries, float threshold, int maxHits, Metric metric, IdFilter? filter = null);
}
