// Query options copy-detection users need on top of plain top-k: leave the query file itself out (same path or same
// bytes), α-query-expansion, a database-side augmentation re-rank of a shortlist, score normalisation against a
// background index, descriptor stretching against the same background (Search/DescriptorStretching.cs), and a minimum
// score. They run in this order, all in the space the index is searched in (whitened when the index is), so the minimum score applies to
// the normalised scores, which is what makes one threshold fit every query.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Search;
using GpuSearch.Store;

namespace GpuSearch;

/// <summary>Options of <see cref="ImageSearchEngine.QueryImagesRefinedAsync"/>.</summary>
public sealed record QueryRefinement
{
    /// <summary>Hits scoring below this (after background normalisation and stretching) are dropped; -1 keeps every cosine.</summary>
    public float MinScore { get; init; } = -1f;
    /// <summary>Drop indexed items that are the query file itself: the same full path or the same content hash.</summary>
    public bool ExcludeSelf { get; init; }
    /// <summary>α-query-expansion: neighbours averaged into the query before the final search (0: off).</summary>
    public int ExpansionNeighbours { get; init; }
    /// <summary>Weight exponent α of the expansion (weights max(score, 0)^α).</summary>
    public float ExpansionAlpha { get; init; } = 3f;
    /// <summary>
    /// Database-side augmentation re-rank (Radenović et al.): n, the database neighbours averaged into each item of a
    /// query's shortlist (its <see cref="AugmentationShortlist"/> best hits, at least k): every shortlisted x becomes
    /// normalise(x + Σ max(s_i, 0)^α x_i) over its n best other items of the index, the query is scored again against
    /// these vectors and the shortlist re-ranked by those scores (0: off). Runs after query expansion and before
    /// background normalisation, stretching and the minimum score. An item's neighbours are its own (the query's
    /// excluded items are not taken out of them); it tends to hurt copy detection with one original per query (README).
    /// </summary>
    public int AugmentationNeighbours { get; init; }
    /// <summary>Weight exponent α of database-side augmentation (weights max(score, 0)^α).</summary>
    public float AugmentationAlpha { get; init; } = 3f;
    /// <summary>Hits per query re-ranked by database-side augmentation (the larger of this and k; at least 1).</summary>
    public int AugmentationShortlist { get; init; } = 100;
    /// <summary>Background set whose mean top-n similarity, times β, is subtracted from every score of a query.</summary>
    public ScoreBackground? Background { get; init; }
    /// <summary>
    /// Descriptor stretching (ISC 2021, Wang et al., "Bag of Tricks and A Strong Baseline for Image Copy Detection"):
    /// n, the rank of the background neighbour whose L2 distance d_n = sqrt(2 − 2·s_n) scales every score of a query
    /// by <see cref="StretchFactor"/> × d_n (0: off; needs <see cref="Background"/>). Our reading of the paper's
    /// "stabilize the scores of different queries"; it never reorders one query's hits and runs after the subtraction
    /// of the background mean (set β = 0 in <see cref="ImageSearchEngine.LoadBackground"/> for stretching alone).
    /// </summary>
    public int StretchNeighbours { get; init; }
    /// <summary>Factor of descriptor stretching (finite, greater than 0).</summary>
    public float StretchFactor { get; init; } = 1f;
    /// <summary>
    /// Weights of the index's named embedding spaces for this search (<see cref="ImageSearchEngine.Spaces"/>; spaces not
    /// named count 0): scores become Σ u·cos / Σu over the spaces. Null = the weights the index was built with.
    /// Not available on a whitened index (whitening mixes the spaces).
    /// </summary>
    public IReadOnlyDictionary<string, float>? Spaces { get; init; }

    internal void Validate()
    {
        if (!float.IsFinite(MinScore)) throw new ArgumentOutOfRangeException(nameof(MinScore), MinScore, "the minimum score must be finite");
        ArgumentOutOfRangeException.ThrowIfNegative(ExpansionNeighbours);
        if (!float.IsFinite(ExpansionAlpha) || ExpansionAlpha < 0) throw new ArgumentOutOfRangeException(nameof(ExpansionAlpha), ExpansionAlpha, "alpha must be finite and at least 0");
        ArgumentOutOfRangeException.ThrowIfNegative(AugmentationNeighbours);
        if (!float.IsFinite(AugmentationAlpha) || AugmentationAlpha < 0)
            throw new ArgumentOutOfRangeException(nameof(AugmentationAlpha), AugmentationAlpha, "alpha must be finite and at least 0");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AugmentationShortlist);
        ArgumentOutOfRangeException.ThrowIfNegative(StretchNeighbours);
        if (StretchNeighbours == 0) return;
        DescriptorStretching.Validate(StretchNeighbours, StretchFactor, nameof(StretchNeighbours), nameof(StretchFactor));
        if (Background is null) throw new ArgumentException("descriptor stretching needs a background set", nameof(StretchNeighbours));
        if (StretchNeighbours > Background.Count)
            throw new ArgumentOutOfRangeException(nameof(StretchNeighbours), StretchNeighbours, $"more neighbours than the {Background.Count} background vectors");
    }
}

/// <summary>
/// The vectors of another index (same model) held on the device as a background set for score normalisation
/// (<see cref="BackgroundNormalizer"/>). Made by <see cref="ImageSearchEngine.LoadBackground"/>; dispose it after use.
/// </summary>
public sealed class ScoreBackground : IDisposable
{
    internal BackgroundNormalizer Normalizer { get; }
    internal ImageSearchEngine Owner { get; }
    /// <summary>Background vectors.</summary>
    public long Count { get; }

    internal ScoreBackground(ImageSearchEngine owner, BackgroundNormalizer normalizer, long count) { Owner = owner; Normalizer = normalizer; Count = count; }

    /// <inheritdoc />
    public void Dispose() => Normalizer.Dispose();
}

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Loads the index in <paramref name="folder"/> (built with this engine's model, else refused) as a background set:
    /// its vectors pass through this index's whitening, if any, so they live in the same space as the queries.
    /// </summary>
    /// <param name="folder">An index folder of unrelated images.</param>
    /// <param name="neighbours">n: background similarities averaged per query.</param>
    /// <param name="beta">β: weight of that mean.</param>
    public ScoreBackground LoadBackground(string folder, int neighbours = 10, float beta = 1f)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var store = IndexStore.OpenReadOnly(Path.GetFullPath(folder), Fingerprint);
        var vectors = new List<float>();
        lock (_indexLock)
        {
            foreach (var batch in store.ReadLive()) vectors.AddRange(ToSearchSpace(batch.ToFloat32()));
            int dim = _index.Dimension;
            if (vectors.Count == 0) throw new ArgumentException($"the background index {folder} holds no images", nameof(folder));
            return new ScoreBackground(this, new BackgroundNormalizer(_device, vectors.ToArray(), dim, neighbours, beta), vectors.Count / dim);
        }
    }

    /// <summary>
    /// Queries with image files like <see cref="QueryImagesAsync(IEnumerable{string}, int, IProgress{IndexProgress}, CancellationToken)"/>,
    /// with <paramref name="refinement"/> applied to every query: exclusion of the query file itself, α-query-expansion,
    /// the database-side augmentation re-rank, background normalisation, descriptor stretching, then the minimum score; at most <paramref name="k"/> hits each.
    /// </summary>
    public async IAsyncEnumerable<QueryOutcome> QueryImagesRefinedAsync(IEnumerable<string> inputs, int k, QueryRefinement refinement,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentNullException.ThrowIfNull(refinement);
        refinement.Validate();
        if (refinement.Background is { } bg && bg.Owner != this) throw new ArgumentException("the background was loaded by another engine", nameof(refinement));
        if (refinement.Spaces is not null) lock (_indexLock) WeightSpaces(new float[Dimension], refinement.Spaces); // unknown space or bad weight: refused before any work
        var paths = ImageFiles.Expand(inputs);
        var hashes = new ConcurrentDictionary<long, string>();
        var options = refinement.ExcludeSelf ? PipelineOptions with { OnFileRead = (req, bytes) => hashes[req.Id] = ContentHash.Of(bytes.Span) } : PipelineOptions;
        Dictionary<string, long[]>? byHash = null;
        if (refinement.ExcludeSelf)
            lock (_catalogLock) byHash = _store.LiveItems().GroupBy(i => i.ContentHash).ToDictionary(g => g.Key, g => g.Select(i => i.Id).ToArray());
        var requests = paths.Select((p, i) => new DecodeRequest(i, p));
        await foreach (var batch in EmbeddingPipeline.RunAsync(_embedder, requests, options, cancellationToken))
        {
            var excluded = new List<HashSet<long>>();
            foreach (var item in batch.Embedded)
            {
                var self = new HashSet<long>();
                if (byHash is not null)
                {
                    lock (_catalogLock) if (_store.Get(Path.GetFullPath(item.Path)) is { Deleted: false } same) self.Add(same.Id);
                    if (hashes.TryGetValue(item.Id, out var h) && byHash.TryGetValue(h, out var ids)) self.UnionWith(ids);
                }
                excluded.Add(self);
            }
            var hits = batch.Embedded.Count > 0 ? SearchRefined(batch.Vectors, k, excluded, refinement) : [];
            int next = 0;
            foreach (var item in batch.Items)
            {
                hashes.TryRemove(item.Id, out _);
                if (batch.Failures.TryGetValue(item.Id, out var f)) yield return new QueryOutcome(item.Path, [], f);
                else yield return new QueryOutcome(item.Path, hits[next++], null);
            }
        }
    }

    /// <summary>Raw query vectors (Q × <see cref="Dimension"/>) searched with <paramref name="refinement"/>; <paramref name="excluded"/> per query.</summary>
    private IReadOnlyList<SearchHit>[] SearchRefined(float[] raw, int k, IReadOnlyList<HashSet<long>> excluded, QueryRefinement refinement)
    {
        RefreshIfChanged();
        lock (_catalogLock) // GetVector and paths; taken before the index's lock, as everywhere
        lock (_indexLock)
        {
            var queries = ToSearchSpace(raw);
            int d = _index.Dimension, n = queries.Length / d, extra = excluded.Max(e => e.Count);
            if (refinement.ExpansionNeighbours > 0)
            {
                var first = _index.Search(WeightSpaces(queries, refinement.Spaces), refinement.ExpansionNeighbours + extra, Metric.Ip);
                for (int q = 0; q < n; q++)
                {
                    var (ids, scores) = Kept(first.IdsOf(q), first.ScoresOf(q), excluded[q]);
                    Reranking.Accumulate(queries.AsSpan(q * d, d), ids, scores, refinement.ExpansionAlpha,
                        id => ToSearchSpace(_store.GetVector(id)!), limit: refinement.ExpansionNeighbours);
                }
            }
            queries = WeightSpaces(queries, refinement.Spaces); // after expansion, which adds stored (unweighted) vectors
            var shift = refinement.Background is { } bg ? bg.Normalizer.BackgroundMeans(queries).Select(m => bg.Normalizer.Beta * m).ToArray() : new float[n];
            var scale = refinement is { StretchNeighbours: > 0, Background: { } sb }
                ? DescriptorStretching.Scales(sb.Normalizer, queries, refinement.StretchNeighbours, refinement.StretchFactor)
                : Enumerable.Repeat(1f, n).ToArray();
            int shortlist = refinement.AugmentationNeighbours > 0 ? Math.Max(k, refinement.AugmentationShortlist) : k;
            var r = _index.Search(queries, shortlist + extra, Metric.Ip);
            var kept = Enumerable.Range(0, n).Select(q => Kept(r.IdsOf(q), r.ScoresOf(q), excluded[q])).ToArray();
            if (refinement.AugmentationNeighbours > 0) ReRankAugmented(queries, kept, shortlist, refinement);
            var result = new IReadOnlyList<SearchHit>[n];
            for (int q = 0; q < n; q++)
            {
                var (ids, scores) = kept[q];
                var hits = new List<SearchHit>(k);
                for (int i = 0; i < ids.Length && hits.Count < k; i++)
                {
                    float score = (scores[i] - shift[q]) * scale[q];
                    if (score >= refinement.MinScore) hits.Add(new SearchHit(ids[i], _store.Get(ids[i])?.Path ?? "", score));
                }
                result[q] = hits;
            }
            return result;
        }
    }

    /// <summary>
    /// Replaces each query's hits (<paramref name="kept"/>, cut to <paramref name="shortlist"/>) by the same items scored
    /// against their database-side augmented vectors, best first. Each distinct item is augmented once per call.
    /// </summary>
    private void ReRankAugmented(float[] queries, (long[] Ids, float[] Scores)[] kept, int shortlist, QueryRefinement refinement)
    {
        int d = _index.Dimension;
        var items = kept.SelectMany(h => h.Ids.Take(shortlist)).Distinct().ToArray();
        var stored = new float[items.Length * d];
        for (int i = 0; i < items.Length; i++) ToSearchSpace(_store.GetVector(items[i])!).CopyTo(stored, i * d);
        var augmented = Reranking.AugmentItems(_index, stored, items, refinement.AugmentationNeighbours, refinement.AugmentationAlpha,
            id => ToSearchSpace(_store.GetVector(id)!));
        var row = new Dictionary<long, int>(items.Length);
        for (int i = 0; i < items.Length; i++) row[items[i]] = i;
        for (int q = 0; q < kept.Length; q++)
        {
            int at = q * d;
            var rescored = kept[q].Ids.Take(shortlist)
                .Select((id, rank) => (Id: id, Rank: rank, Score: (float)Dot(queries.AsSpan(at, d), augmented.AsSpan(row[id] * d, d))))
                .OrderByDescending(h => h.Score).ThenBy(h => h.Rank).ToArray();
            kept[q] = (rescored.Select(h => h.Id).ToArray(), rescored.Select(h => h.Score).ToArray());
        }
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++) sum += (double)a[j] * b[j];
        return sum;
    }

    private static (long[] Ids, float[] Scores) Kept(ReadOnlySpan<long> ids, ReadOnlySpan<float> scores, HashSet<long> excluded)
    {
        var keptIds = new List<long>(ids.Length);
        var keptScores = new List<float>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] >= 0 && !excluded.Contains(ids[i])) { keptIds.Add(ids[i]); keptScores.Add(scores[i]); }
        return (keptIds.ToArray(), keptScores.ToArray());
    }
}
