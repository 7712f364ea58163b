// Score normalisation against a background set (ISC 2021 "bag of tricks"): a query that resembles many unrelated
// images (a plain sky, a texture) gets high similarities to everything, so its scores are not comparable with
// another query's. Subtracting β × the mean of its n best similarities to a background set of unrelated images
// makes scores comparable across queries; it does not reorder one query's results, so it shows in micro-AP
// (pooled over queries) and in thresholds (dedup, copy detection), not in recall@k.
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>Background similarities of queries, searched exactly on the device, and the normalisation they give.</summary>
internal sealed class BackgroundNormalizer : IDisposable
{
    private readonly FlatIndex _background;

    /// <summary>Neighbours in the background averaged per query.</summary>
    public int Neighbours { get; }
    /// <summary>Weight of the background mean.</summary>
    public float Beta { get; }
    /// <summary>Background vectors held.</summary>
    public long Count { get; }

    /// <summary>Holds <paramref name="background"/> (row-major, L2-normalised, <paramref name="dimension"/> wide) on <paramref name="device"/>.</summary>
    public BackgroundNormalizer(ComputeDevice device, ReadOnlySpan<float> background, int dimension, int neighbours = 10, float beta = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        if (!float.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite");
        if (background.Length == 0 || background.Length % dimension != 0)
            throw new ArgumentException($"the background must hold B × {dimension} floats (B ≥ 1), it holds {background.Length}", nameof(background));
        long rows = background.Length / dimension;
        if (neighbours > rows) throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, $"more neighbours than the {rows} background vectors");
        Neighbours = neighbours;
        Beta = beta;
        Count = rows;
        _background = new FlatIndex(device, dimension);
        var ids = new long[rows];
        for (long i = 0; i < rows; i++) ids[i] = i;
        _background.Add(background, ids);
    }

    /// <summary>Per query, the mean of its <see cref="Neighbours"/> highest inner products with the background.</summary>
    public float[] BackgroundMeans(ReadOnlySpan<float> queries)
    {
        var r = _background.Search(queries, Neighbours, Metric.Ip);
        var means = new float[r.QueryCount];
        for (int q = 0; q < r.QueryCount; q++)
        {
            double sum = 0;
            foreach (var s in r.ScoresOf(q)) sum += s;
            means[q] = (float)(sum / Neighbours);
        }
        return means;
    }

    /// <summary>Per query, its <paramref name="n"/>-th highest inner product with the background (descriptor stretching).</summary>
    public float[] NthSimilarities(ReadOnlySpan<float> queries, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (n > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"more neighbours than the {Count} background vectors");
        var r = _background.Search(queries, n, Metric.Ip);
        var nth = new float[r.QueryCount];
        for (int q = 0; q < r.QueryCount; q++) nth[q] = r.ScoresOf(q)[n - 1];
        return nth;
    }

    /// <summary>Subtracts <see cref="Beta"/> × each query's background mean from that query's scores (Q × k, in place).</summary>
    public void Apply(ReadOnlySpan<float> queries, Span<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var means = BackgroundMeans(queries);
        if (scores.Length != (long)means.Length * k)
            throw new ArgumentException($"scores must hold {means.Length} × {k} floats, they hold {scores.Length}", nameof(scores));
        for (int q = 0; q < means.Length; q++)
            foreach (ref var s in scores.Slice(q * k, k)) s -= Beta * means[q];
    }

    /// <inheritdoc />
    public void Dispose() => _background.Dispose();
}
