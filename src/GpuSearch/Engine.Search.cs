// Async search entry points for a host: an image as a file, a Stream, encoded bytes in memory or decoded pixels;
// an item already in the index by id or by key; and a batch of decoded images. Each takes QueryOptions (k, minimum
// score, filter, excluded id, exclude-self) and a CancellationToken checked between read, decode, embed and scan.
// Every image goes through EmbedOne, the one route from decoded pixels to a query vector.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.IO;
using GpuSearch.Search;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>Reads, decodes and embeds one image file and returns its nearest indexed items.</summary>
    /// <param name="imagePath">The image file (read once, at most <see cref="EngineOptions.MaxImageBytes"/>).</param>
    /// <param name="options">k, minimum score, filter; <see cref="QueryOptions.ExcludeSelf"/> leaves out the item indexed from this path and copies of its bytes.</param>
    /// <param name="cancellationToken">Checked before each step.</param>
    /// <exception cref="ImageDecodeException">Not a readable image, or larger than the limit.</exception>
    /// <exception cref="ArgumentException">The model cannot take the image, or its embedding is not finite.</exception>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(string imagePath, QueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        CheckQuery(options);
        var full = Path.GetFullPath(imagePath);
        return Task.Run(() =>
        {
            var bytes = BoundedRead.ReadFile(full, _options.MaxImageBytes);
            return SearchEncoded(bytes, full, full, options, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Reads an encoded image from <paramref name="image"/> (from its position to its end), then decodes, embeds and
    /// searches it. A stream longer than <see cref="EngineOptions.MaxImageBytes"/> is refused before it is read whole.
    /// The stream is not disposed.
    /// </summary>
    /// <param name="image">The encoded image (JPEG, PNG, WebP, GIF, BMP).</param>
    /// <param name="options">k, minimum score, filter; <see cref="QueryOptions.ExcludeSelf"/> leaves out items with the same bytes.</param>
    /// <param name="cancellationToken">Passed to the reads; checked before each later step.</param>
    /// <exception cref="ImageDecodeException">Not a readable image, larger than the limit (<see cref="DecodeFailureReason.TooLarge"/>), or a read error.</exception>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(Stream image, QueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckQuery(options);
        if (!image.CanRead) throw new ArgumentException("the stream cannot be read", nameof(image));
        var bytes = await BoundedRead.ReadAsync(image, _options.MaxImageBytes, "stream", cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => SearchEncoded(bytes, null, "stream", options, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads an encoded image from <paramref name="image"/> under <see cref="EngineOptions.MaxImageBytes"/> (as
    /// <see cref="SearchAsync(Stream, QueryOptions, CancellationToken)"/> does) and decodes it, checking the model can
    /// take its size: the input of <see cref="SearchBatchAsync"/> for a batch of uploads. Touches no device.
    /// </summary>
    /// <exception cref="ImageDecodeException">Not a readable image, larger than the limit, or a read error.</exception>
    public async Task<DecodedImage> DecodeAsync(Stream image, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(image);
        if (!image.CanRead) throw new ArgumentException("the stream cannot be read", nameof(image));
        var bytes = await BoundedRead.ReadAsync(image, _options.MaxImageBytes, "stream", cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return Decode(bytes, "stream");
    }

    /// <summary>Decodes, embeds and searches an encoded image held in memory (an upload).</summary>
    /// <param name="encodedImage">The whole file, at most <see cref="EngineOptions.MaxImageBytes"/>.</param>
    /// <param name="options">k, minimum score, filter; <see cref="QueryOptions.ExcludeSelf"/> leaves out items with the same bytes.</param>
    /// <param name="cancellationToken">Checked before each step.</param>
    /// <exception cref="ImageDecodeException">Not a readable image, or larger than the limit.</exception>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(ReadOnlyMemory<byte> encodedImage, QueryOptions options, CancellationToken cancellationToken = default)
    {
        CheckQuery(options);
        BoundedRead.CheckLength(encodedImage.Length, _options.MaxImageBytes, "memory");
        return Task.Run(() => SearchEncoded(encodedImage.Span, null, "memory", options, cancellationToken), cancellationToken);
    }

    /// <summary>Embeds and searches decoded pixels (your own decoder's, or <see cref="Decode"/>'s).</summary>
    /// <param name="image">The image; see <see cref="DecodedImage(int, int, ReadOnlySpan{byte})"/>.</param>
    /// <param name="options">k, minimum score, filter (exclude-self has nothing to match here).</param>
    /// <param name="cancellationToken">Checked before embedding and before the scan.</param>
    /// <exception cref="ArgumentException">The model cannot take an image of this size, or its embedding is not finite.</exception>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(DecodedImage image, QueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckQuery(options);
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var v = EmbedOne(image, "image", nameof(image));
            cancellationToken.ThrowIfCancellationRequested();
            return SearchExcluding(v, options, []);
        }, cancellationToken);
    }

    /// <summary>
    /// Embeds decoded images in device passes of at most <see cref="MaxBatch"/> and searches them in one scan; one hit
    /// list per image, in order, each as if searched alone.
    /// </summary>
    /// <param name="images">The images (each must suit the model, as <see cref="Decode"/> checks).</param>
    /// <param name="options">k, minimum score, filter, applied to every image.</param>
    /// <param name="cancellationToken">Checked before each device pass and before the scan.</param>
    public Task<IReadOnlyList<IReadOnlyList<SearchHit>>> SearchBatchAsync(IReadOnlyList<DecodedImage> images, QueryOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckQuery(options);
        CheckSizesOnce(images, nameof(images)); // the passes below submit without checking again
        return Task.Run<IReadOnlyList<IReadOnlyList<SearchHit>>>(() =>
        {
            if (images.Count == 0) return [];
            var vectors = new float[images.Count * Dimension];
            for (int start = 0; start < images.Count; start += MaxBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(MaxBatch, images.Count - start);
                var chunk = vectors.AsSpan(start * Dimension, n * Dimension);
                QueryEmbedder.EmbedChecked(images.Skip(start).Take(n).ToArray(), chunk);
                for (int q = 0; q < n; q++)
                    if (FiniteValues.CountNonFinite(chunk.Slice(q * Dimension, Dimension)) is > 0 and var bad)
                        throw new ArgumentException($"image {start + q}: the model's output holds {bad} NaN or infinite value(s); it cannot be searched", nameof(images));
            }
            cancellationToken.ThrowIfCancellationRequested();
            return Search(vectors, Enumerable.Repeat(options with { ExcludeSelf = false }, images.Count).ToArray());
        }, cancellationToken);
    }

    /// <summary>"More like this": searches with the stored vector of item <paramref name="id"/>.</summary>
    /// <param name="id">An item id (from a search hit, <see cref="ListItems"/> or <see cref="AddAsync(string, string, string?, CancellationToken)"/>).</param>
    /// <param name="options">k, minimum score, filter; <see cref="QueryOptions.ExcludeSelf"/> leaves the item itself out.</param>
    /// <param name="cancellationToken">Checked before the scan.</param>
    /// <returns>The hits, or null when there is no live item with that id.</returns>
    public Task<IReadOnlyList<SearchHit>?> SearchByIdAsync(long id, QueryOptions options, CancellationToken cancellationToken = default)
    {
        CheckQuery(options);
        return Task.Run(() => SearchStored(GetVector(id), id, options, cancellationToken), cancellationToken);
    }

    /// <summary>"More like this" for the item under the caller's <paramref name="key"/>.</summary>
    /// <param name="key">A key given to <see cref="AddAsync(string, string, string?, CancellationToken)"/>.</param>
    /// <param name="options">k, minimum score, filter; <see cref="QueryOptions.ExcludeSelf"/> leaves the item itself out.</param>
    /// <param name="cancellationToken">Checked before the scan.</param>
    /// <returns>The hits, or null when no live item has that key.</returns>
    public Task<IReadOnlyList<SearchHit>?> SearchByKeyAsync(string key, QueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckQuery(options);
        return Task.Run(() =>
        {
            var item = GetByKey(key);
            return item is null ? null : SearchStored(GetVector(item.Id), item.Id, options, cancellationToken);
        }, cancellationToken);
    }

    private IReadOnlyList<SearchHit>? SearchStored(float[]? vector, long id, QueryOptions options, CancellationToken ct)
    {
        if (vector is null) return null;
        ct.ThrowIfCancellationRequested();
        return SearchExcluding(vector, options, options.ExcludeSelf ? [id] : []);
    }

    /// <summary>Hashes, decodes, embeds and searches one encoded image; <paramref name="path"/> is its file, if any.</summary>
    private IReadOnlyList<SearchHit> SearchEncoded(ReadOnlySpan<byte> bytes, string? path, string name, QueryOptions options, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var hash = options.ExcludeSelf ? ContentHash.Of(bytes) : null;
        var img = ImageDecoder.Decode(bytes, name, DecodeOptions);
        ct.ThrowIfCancellationRequested();
        var v = EmbedOne(img, name, "image");
        ct.ThrowIfCancellationRequested();
        var self = new HashSet<long>();
        if (hash is not null)
            lock (_catalogLock)
            {
                if (path is not null && _store.Get(path) is { Deleted: false } same) self.Add(same.Id);
                self.UnionWith(_store.LiveIdsWithContentHash(hash));
            }
        return SearchExcluding(v, options, self);
    }

    /// <summary>One query with <paramref name="options"/>, also leaving out <paramref name="excluded"/> (the query's own items).</summary>
    private IReadOnlyList<SearchHit> SearchExcluding(float[] vector, QueryOptions options, IReadOnlyCollection<long> excluded)
    {
        if (excluded.Count == 0) return Search(vector, [options with { ExcludeSelf = false }])[0];
        // Scan enough extra hits that k remain after the exclusions; the options' own excluded id is one more.
        var widened = options with { K = (int)Math.Min(int.MaxValue, (long)options.K + excluded.Count + 1), ExcludeId = null, ExcludeSelf = false };
        return Search(vector, [widened])[0].Where(h => h.Id != options.ExcludeId && !excluded.Contains(h.Id)).Take(options.K).ToArray();
    }

    private void CheckQuery(QueryOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.K, nameof(options));
        if (!float.IsFinite(options.MinScore)) throw new ArgumentOutOfRangeException(nameof(options), "MinScore must be finite");
    }
}
