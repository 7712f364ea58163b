// Items whose vector the caller supplies (made by this engine's model elsewhere, or kept by a vector-store adapter
// such as GpuSearchEngine.VectorData): a key, metadata and a vector, no image. Checked like a query vector, stored
// L2-normalised like every other vector, committed by the same keyed upsert as a keyed image: one catalog
// transaction for the whole batch.
using System.Runtime.InteropServices;
using GpuSearch.Embedding;
using GpuSearch.Search;
using GpuSearch.Store;

namespace GpuSearch;

/// <summary>One item of <see cref="ImageSearchEngine.AddVectorsAsync"/>: the caller's key, the vector and optional metadata JSON.</summary>
/// <param name="Key">1..<see cref="ItemKeys.MaxKeyLength"/> characters, no control characters.</param>
/// <param name="Vector"><see cref="ImageSearchEngine.Dimension"/> finite floats, not all zero, from this index's model.</param>
/// <param name="MetadataJson">A JSON object (≤ <see cref="ItemKeys.MaxMetadataChars"/> characters), or null.</param>
public sealed record KeyedVector(string Key, ReadOnlyMemory<float> Vector, string? MetadataJson = null);

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Adds a vector under <paramref name="key"/>, or replaces the item with that key (upsert), without an image; see
    /// <see cref="AddVectorsAsync"/>.
    /// </summary>
    public async Task<StoredItem> AddVectorAsync(string key, ReadOnlyMemory<float> vector, string? metadataJson = null, CancellationToken cancellationToken = default) =>
        (await AddVectorsAsync([new KeyedVector(key, vector, metadataJson)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Adds vectors under their keys, each replacing the item with that key (upsert), without images. The vectors must
    /// come from this index's model (<see cref="Fingerprint"/>); each is checked (length, finite, not all zero) and
    /// stored L2-normalised, with the path <c>vector:&lt;SHA-256 of the stored floats&gt;</c>. Every item is checked
    /// before any is stored, and the batch is one catalog transaction: after a crash all of it is in or none.
    /// </summary>
    /// <returns>The stored items, in input order.</returns>
    /// <exception cref="ArgumentException">A bad key, metadata or vector (the message names the key), or one key twice.</exception>
    /// <exception cref="InvalidOperationException">The engine was opened read-only.</exception>
    public Task<IReadOnlyList<StoredItem>> AddVectorsAsync(IReadOnlyList<KeyedVector> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var batch = new ItemToAdd[items.Count];
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < batch.Length; i++)
        {
            var (key, vector, metadataJson) = items[i] ?? throw new ArgumentException($"item {i} is null", nameof(items));
            CheckKeyed(key, metadataJson);
            if (!keys.Add(key)) throw new ArgumentException($"key '{key}' appears twice in one batch", nameof(items));
            var v = NormalizedCopy(vector.Span, $"key '{key}'");
            var hash = ContentHash.Of(MemoryMarshal.AsBytes(v.AsSpan()));
            batch[i] = new ItemToAdd("vector:" + hash, hash, v.Length * sizeof(float), v, metadataJson, key);
        }
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return CommitKeyed(batch);
        }, cancellationToken);
    }

    /// <summary>A caller's vector checked (length, finite, non-zero) and scaled to unit length; <paramref name="owner"/> names it in messages.</summary>
    private float[] NormalizedCopy(ReadOnlySpan<float> vector, string owner)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (vector.Length != Dimension) throw new ArgumentException($"{owner}: the vector must hold {Dimension} floats, got {vector.Length}");
        if (FiniteValues.CountNonFinite(vector) is > 0 and var bad) throw new ArgumentException($"{owner}: the vector holds {bad} NaN or infinite value(s); it is not stored");
        double norm = 0;
        foreach (var x in vector) norm += (double)x * x;
        if (norm == 0) throw new ArgumentException($"{owner}: the vector is all zeros");
        var v = vector.ToArray();
        var inv = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
        return v;
    }

    /// <summary>
    /// The keyed upsert of a batch: one catalog transaction stores the new items and tombstones the live ones with the
    /// same keys, so a crash leaves each key naming its old item or its new one; the search index follows under the same lock.
    /// </summary>
    private IReadOnlyList<StoredItem> CommitKeyed(IReadOnlyList<ItemToAdd> batch)
    {
        if (batch.Count == 0) return [];
        var vectors = new float[batch.Count * Dimension];
        for (int i = 0; i < batch.Count; i++) batch[i].Vector.Span.CopyTo(vectors.AsSpan(i * Dimension));
        lock (_catalogLock)
        {
            var old = batch.Select(b => _store.GetByKey(b.Key!)?.Id).OfType<long>().ToArray();
            var ids = _store.Add(batch);
            var replaced = old.Except(ids).ToArray();
            lock (_indexLock)
            {
                if (replaced.Length > 0) _index.Remove(replaced);
                _index.Add(ToSearchSpace(vectors), ids);
            }
            return ids.Select(id => _store.Get(id)!).ToArray();
        }
    }
}
