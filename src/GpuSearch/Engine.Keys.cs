// Items under the caller's own key (a SKU, a registration number) with optional metadata JSON: upsert, get,
// delete by key, and searches restricted by a metadata filter. Items added by path (AddImagesAsync) have no key.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Search;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Adds an image file under <paramref name="key"/>, or replaces the item with that key (upsert: its vector and metadata
    /// both become the new ones). The replacement is one catalog transaction, so after a crash the key names either the
    /// old item or the new one, never nothing. The item's path is the file's absolute path.
    /// </summary>
    /// <param name="key">The caller's key: 1..<see cref="ItemKeys.MaxKeyLength"/> characters, no control characters.</param>
    /// <param name="imagePath">The image file.</param>
    /// <param name="metadataJson">A JSON object (at most <see cref="ItemKeys.MaxMetadataChars"/> characters, <see cref="ItemKeys.MaxMetadataDepth"/> deep), or null.</param>
    /// <param name="cancellationToken">Checked before the image is embedded and before it is stored.</param>
    /// <returns>The stored item, with its new id.</returns>
    /// <exception cref="ArgumentException">A bad key or metadata (checked before the image is read).</exception>
    /// <exception cref="ImageDecodeException">The file is not a readable image.</exception>
    public Task<StoredItem> AddAsync(string key, string imagePath, string? metadataJson = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        CheckKeyed(key, metadataJson);
        var full = Path.GetFullPath(imagePath);
        return Task.Run(() => AddKeyed(key, IO.BoundedRead.ReadFile(full, _options.MaxImageBytes), full, full, metadataJson, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Adds an encoded image held in memory (an upload) under <paramref name="key"/>, or replaces the item with that key;
    /// see <see cref="AddAsync(string, string, string?, CancellationToken)"/>. The item's path is <c>memory:&lt;SHA-256&gt;</c>:
    /// no file is written, so such items have no image to show, only their key, metadata and vector.
    /// </summary>
    public Task<StoredItem> AddAsync(string key, ReadOnlyMemory<byte> encodedImage, string? metadataJson = null, CancellationToken cancellationToken = default)
    {
        CheckKeyed(key, metadataJson);
        IO.BoundedRead.CheckLength(encodedImage.Length, _options.MaxImageBytes, $"key '{key}'");
        return Task.Run(() => AddKeyed(key, encodedImage.Span, null, $"key '{key}'", metadataJson, cancellationToken), cancellationToken);
    }

    private void CheckKeyed(string key, string? metadataJson)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfReadOnly();
        ItemKeys.CheckKey(key);
        ItemKeys.CheckMetadata(metadataJson, $"key '{key}'");
    }

    private StoredItem AddKeyed(string key, ReadOnlySpan<byte> bytes, string? path, string name, string? metadataJson, CancellationToken ct)
    {
        var img = ImageDecoder.Decode(bytes, name, DecodeOptions);
        var hash = ContentHash.Of(bytes);
        ct.ThrowIfCancellationRequested();
        var v = EmbedOne(img, name, path is null ? "encodedImage" : "imagePath");
        ct.ThrowIfCancellationRequested();
        return CommitKeyed([new ItemToAdd(path ?? "memory:" + hash, hash, bytes.Length, v, metadataJson, key)])[0];
    }

    /// <summary>The live item with caller key <paramref name="key"/>, or null.</summary>
    public StoredItem? GetByKey(string key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(key);
        lock (_catalogLock) return _store.GetByKey(key);
    }

    /// <summary>Deletes the live item with caller key <paramref name="key"/> from the index and from search; false when there is none.</summary>
    /// <exception cref="InvalidOperationException">The engine was opened read-only.</exception>
    public bool DeleteByKey(string key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfReadOnly();
        lock (_catalogLock)
        {
            if (_store.GetByKey(key) is not { } item) return false;
            _store.Delete(item.Id);
            lock (_indexLock) _index.Remove([item.Id]);
            return true;
        }
    }

    /// <summary>Ids of the live items whose metadata satisfy <paramref name="filter"/>, ascending (what a filtered search scans).</summary>
    public IReadOnlyList<long> FilterIds(SearchFilter filter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_catalogLock) return _store.FilterIds(filter);
    }

    /// <summary>One query scanned over only the items <paramref name="filter"/> allows (none match: no hits).</summary>
    private IReadOnlyList<SearchHit> SearchFiltered(ReadOnlySpan<float> query, int k, SearchFilter filter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (FiniteValues.CountNonFinite(query) > 0) throw new ArgumentException("the query embedding holds NaN or infinity; it cannot be searched", nameof(query));
        return SearchLocked(query, k, () => _store.FilterIds(filter) is { Count: > 0 } ids ? IdFilter.FromIds(ids.ToArray()) : null)[0];
    }
}
