// Search entry points a service needs beyond files on disk: images already in memory (an upload), a batch of
// decoded images embedded in one device pass (so a server can micro-batch concurrent requests), and per-query
// options (minimum score, leaving the query's own item out) applied to one shared scan. Single images are
// embedded by a second embedder with its own device streams, so a query image is not queued behind a bulk batch.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.IO;
using GpuSearch.Search;

namespace GpuSearch;

/// <summary>Per-query options of <see cref="ImageSearchEngine.Search(ReadOnlySpan{float}, IReadOnlyList{QueryOptions})"/>.</summary>
/// <param name="K">Most hits to return (at least 1).</param>
/// <param name="MinScore">Hits scoring below this are dropped (cosine, so -1 keeps everything).</param>
/// <param name="ExcludeId">An item left out of the hits (the query's own item in a "more like this" search).</param>
/// <param name="Filter">Only items whose metadata satisfy it are searched (evaluated in the catalog to an allow-list the scan applies).</param>
/// <param name="ExcludeSelf">
/// Leave the query's own item(s) out: for an image file, the item indexed from that path and every item with the same
/// bytes; for a <see cref="Stream"/> or in-memory image, every item with the same bytes; for a search by id or key, that
/// item. No effect on decoded-pixel and vector queries (nothing identifies them).
/// </param>
public sealed record QueryOptions(int K, float MinScore = -1f, long? ExcludeId = null, SearchFilter? Filter = null, bool ExcludeSelf = false)
{
    /// <summary>
    /// Weights of the index's named embedding spaces (<see cref="ImageSearchEngine.Spaces"/>) for this query, as
    /// <see cref="QueryRefinement.Spaces"/>: scores become Σ u_m·cos_m / Σu (spaces not named count 0); null: as indexed.
    /// </summary>
    public IReadOnlyDictionary<string, float>? Spaces { get; init; }
}

public sealed partial class ImageSearchEngine
{
    /// <summary>Images per device pass of the embedder (<see cref="EngineOptions.BatchSize"/>).</summary>
    public int MaxBatch => _embedder.MaxBatch;

    /// <summary>
    /// The embedder for single images and small request batches. Its own streams (and activation memory) keep a query
    /// image from waiting for the bulk embedder's batch in flight; it costs a second copy of the model's weights on the
    /// device, made on first use, so an engine that only indexes never pays it.
    /// </summary>
    private ImageEmbedder QueryEmbedder
    {
        get
        {
            lock (_queryEmbedderLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _queryEmbedder ??= _newEmbedder();
            }
        }
    }

    /// <summary>One decoded image through the one embedding route (<see cref="EmbeddingPipeline.EmbedOne"/>) on the query embedder.</summary>
    private float[] EmbedOne(DecodedImage image, string name, string paramName) =>
        EmbeddingPipeline.EmbedOne(QueryEmbedder, image, name, paramName);

    /// <summary>
    /// Decodes an encoded image held in memory (an upload) with this engine's limits and checks the model can take
    /// its size. Runs on the calling thread and touches no device, so many requests can decode at once.
    /// </summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">A name for messages (never used to find a file).</param>
    /// <exception cref="ImageDecodeException">Not an image, truncated, corrupt, too large or unsupported (<see cref="ImageDecodeException.Reason"/>).</exception>
    /// <exception cref="ArgumentException">The preprocessing cannot turn an image of this size into the model's input.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> data, string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        BoundedRead.CheckLength(data.Length, _options.MaxImageBytes, name);
        var img = ImageDecoder.Decode(data, name, DecodeOptions);
        if (_embedder.CheckSize(img.Width, img.Height) is { } why) throw new ArgumentException($"{name}: {why}", nameof(data));
        img.SizeCheckedBy = this; // EmbedDecoded then submits it without a second check
        return img;
    }

    /// <summary>
    /// Embeds decoded images (from <see cref="Decode"/>) in one call to the embedder — one device pass when there are
    /// at most <see cref="MaxBatch"/> of them. Returns images.Count × <see cref="Dimension"/> L2-normalised floats.
    /// </summary>
    public float[] EmbedDecoded(IReadOnlyList<DecodedImage> images)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(images);
        var v = new float[images.Count * Dimension];
        if (images.Count == 0) return v;
        CheckSizesOnce(images, nameof(images));
        QueryEmbedder.EmbedChecked(images, v);
        return v;
    }

    /// <summary>
    /// The size check of a batch of decoded images, made once: images from this engine's <see cref="Decode"/> were
    /// checked there, others (made by the caller) are checked here; the embedder then submits them unchecked.
    /// </summary>
    private void CheckSizesOnce(IReadOnlyList<DecodedImage> images, string paramName)
    {
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i] is not { } img) throw new ArgumentNullException(paramName, $"image {i} is null");
            if (!ReferenceEquals(img.SizeCheckedBy, this) && _embedder.CheckSize(img.Width, img.Height) is { } why)
                throw new ArgumentException($"image {i}: {why}", paramName);
        }
    }

    /// <summary>
    /// Searches Q queries (row-major Q × <see cref="Dimension"/>, L2-normalised) in one scan, each with its own
    /// options: the scan takes the largest k (one more where an item is excluded) and each query's hits are then
    /// cut to its own k, minimum score and exclusion. Same hits, in the same order, as searching one at a time.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> Search(ReadOnlySpan<float> embeddings, IReadOnlyList<QueryOptions> perQuery)
    {
        ArgumentNullException.ThrowIfNull(perQuery);
        if (perQuery.Count == 0 || embeddings.Length != perQuery.Count * Dimension)
            throw new ArgumentException($"embeddings must hold {perQuery.Count} × {Dimension} floats, got {embeddings.Length}", nameof(embeddings));
        foreach (var q in perQuery)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(q.K, nameof(perQuery));
            if (!float.IsFinite(q.MinScore)) throw new ArgumentOutOfRangeException(nameof(perQuery), "MinScore must be finite");
        }
        if (perQuery.Any(q => q.Spaces is not null)) embeddings = WeightedBySpace(embeddings, perQuery);
        var result = new IReadOnlyList<SearchHit>[perQuery.Count];
        static IReadOnlyList<SearchHit> Cut(IReadOnlyList<SearchHit> hits, QueryOptions q) =>
            hits.Where(h => h.Id != q.ExcludeId && h.Score >= q.MinScore).Take(q.K).ToArray();
        var unfiltered = Enumerable.Range(0, perQuery.Count).Where(i => perQuery[i].Filter is null).ToArray();
        if (unfiltered.Length > 0)
        {
            int scanK = unfiltered.Max(i => perQuery[i].ExcludeId is null ? perQuery[i].K : perQuery[i].K + 1);
            var all = unfiltered.Length == perQuery.Count ? Search(embeddings, scanK) : Search(Rows(embeddings, unfiltered), scanK);
            for (int j = 0; j < unfiltered.Length; j++) result[unfiltered[j]] = Cut(all[j], perQuery[unfiltered[j]]);
        }
        // Each filter has its own allow-list, so filtered queries scan one at a time.
        for (int i = 0; i < result.Length; i++)
        {
            var q = perQuery[i];
            if (q.Filter is null) continue;
            result[i] = Cut(SearchFiltered(embeddings.Slice(i * Dimension, Dimension), q.ExcludeId is null ? q.K : q.K + 1, q.Filter), q);
        }
        return result;
    }

    /// <summary>The queries with each one's segments scaled by its <see cref="QueryOptions.Spaces"/> (still one scan for all).</summary>
    private float[] WeightedBySpace(ReadOnlySpan<float> embeddings, IReadOnlyList<QueryOptions> perQuery)
    {
        var rows = embeddings.ToArray();
        lock (_indexLock)
            for (int i = 0; i < perQuery.Count; i++)
                if (perQuery[i].Spaces is { } spaces)
                    WeightSpaces(rows[(i * Dimension)..((i + 1) * Dimension)], spaces).CopyTo(rows.AsSpan(i * Dimension, Dimension));
        return rows;
    }

    private float[] Rows(ReadOnlySpan<float> embeddings, int[] which)
    {
        var rows = new float[which.Length * Dimension];
        for (int j = 0; j < which.Length; j++) embeddings.Slice(which[j] * Dimension, Dimension).CopyTo(rows.AsSpan(j * Dimension));
        return rows;
    }

    /// <summary>Decodes, embeds and searches one in-memory image (an upload).</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a readable image.</exception>
    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<byte> encodedImage, string name, QueryOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        BoundedRead.CheckLength(encodedImage.Length, _options.MaxImageBytes, name);
        var v = EmbedOne(ImageDecoder.Decode(encodedImage, name, DecodeOptions), name, nameof(encodedImage));
        return Search(v, [options])[0];
    }

    /// <summary>
    /// "More like this": searches with the stored vector of item <paramref name="id"/>, leaving the item itself out
    /// when <paramref name="excludeSelf"/>. Null when there is no live item with that id.
    /// </summary>
    public IReadOnlyList<SearchHit>? SearchById(long id, QueryOptions options, bool excludeSelf = true)
    {
        var v = GetVector(id);
        if (v is null) return null;
        return Search(v, [excludeSelf ? options with { ExcludeId = id } : options])[0];
    }

    /// <summary>Searches with a caller's vector, checked first: <see cref="Dimension"/> finite floats, L2-normalised here.</summary>
    /// <exception cref="ArgumentException">Wrong length, a non-finite value, or a zero vector.</exception>
    public IReadOnlyList<SearchHit> SearchVector(ReadOnlySpan<float> vector, QueryOptions options)
    {
        if (vector.Length != Dimension) throw new ArgumentException($"the vector must hold {Dimension} floats, got {vector.Length}", nameof(vector));
        if (FiniteValues.CountNonFinite(vector) > 0) throw new ArgumentException("the vector holds a non-finite value", nameof(vector));
        var v = vector.ToArray();
        double norm = 0;
        foreach (var x in v) norm += (double)x * x;
        if (norm == 0) throw new ArgumentException("the vector is all zeros", nameof(vector));
        var inv = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
        return Search(v, [options])[0];
    }
}
