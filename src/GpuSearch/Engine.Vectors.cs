// Items whose vector the caller supplies (made by this engine's model elsewhere, or kept by a vector-store adapter
// such as GpuSearchEngine.VectorData): a key, metadata and a vector, no image. Checked like a query vector, stored
// L2-normalised like every other vector, committed by the same one-transaction upsert as a keyed image.
using System.Runtime.InteropServices;
using GpuSearch.Embedding;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Adds a vector under <paramref name="key"/>, or replaces the item with that key (upsert), without an image. The
    /// vector must come from this index's model (<see cref="Fingerprint"/>): it is checked for length and finiteness and
    /// stored L2-normalised. The item's path is <c>vector:&lt;SHA-256 of the stored floats&gt;</c>.
    /// </summary>
    /// <param name="key">The caller's key: 1..<see cref="ItemKeys.MaxKeyLength"/> characters, no control characters.</param>
    /// <param name="vector"><see cref="Dimension"/> finite floats, not all zero.</param>
    /// <param name="metadataJson">A JSON object (see <see cref="AddAsync(string, string, string?, CancellationToken)"/>), or null.</param>
    /// <param name="cancellationToken">Checked before the item is stored.</param>
    /// <returns>The stored item, with its new id.</returns>
    /// <exception cref="ArgumentException">A bad key, metadata or vector (wrong length, NaN or infinity, all zeros).</exception>
    /// <exception cref="InvalidOperationException">The engine was opened read-only.</exception>
    public Task<StoredItem> AddVectorAsync(string key, ReadOnlyMemory<float> vector, string? metadataJson = null, CancellationToken cancellationToken = default)
    {
        CheckKeyed(key, metadataJson);
        var v = NormalizedCopy(vector.Span, nameof(vector));
        var hash = ContentHash.Of(MemoryMarshal.AsBytes(v.AsSpan()));
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return CommitKeyed(new ItemToAdd("vector:" + hash, hash, v.Length * sizeof(float), v, metadataJson, key));
        }, cancellationToken);
    }

    /// <summary>A caller's vector checked (length, finite, non-zero) and scaled to unit length.</summary>
    private float[] NormalizedCopy(ReadOnlySpan<float> vector, string argument)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (vector.Length != Dimension) throw new ArgumentException($"the vector must hold {Dimension} floats, got {vector.Length}", argument);
        if (EmbeddingPipeline.CountNonFinite(vector) is > 0 and var bad) throw new ArgumentException($"the vector holds {bad} NaN or infinite value(s); it is not stored", argument);
        double norm = 0;
        foreach (var x in vector) norm += (double)x * x;
        if (norm == 0) throw new ArgumentException("the vector is all zeros", argument);
        var v = vector.ToArray();
        var inv = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
        return v;
    }

    /// <summary>
    /// The keyed upsert: one catalog transaction stores the new item and tombstones the old one with the same key, so a
    /// crash leaves the key naming one of them; the search index follows under the same lock.
    /// </summary>
    private StoredItem CommitKeyed(ItemToAdd item)
    {
        lock (_deviceLock)
        {
            var old = _store.GetByKey(item.Key!);
            long id = _store.Add(item);
            if (old is not null && old.Id != id) _index.Remove([old.Id]);
            _index.Add(ToSearchSpace(item.Vector.Span), [id]);
            return _store.Get(id)!;
        }
    }
}
