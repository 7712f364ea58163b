// The append path: vectors are written past the committed row count of the open segment and
// fsynced, then one SQLite transaction names them and raises the committed count. Only then does
// Add return the ids — that return is what "reported added" means.
using System.Globalization;
using GpuSearch.Search;

namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    /// <summary>
    /// Adds a batch and returns one id per item, in order. When Add returns, every item is durable
    /// (it survives kill -9 and power loss). Items already present with the same path and content hash
    /// are not added again: their existing id is returned. A path present with a different hash is
    /// replaced (the old item is tombstoned). An item with a <see cref="ItemToAdd.Key"/> always replaces the live
    /// item with that key (upsert) and is never matched by path. If Add throws, a prefix of the batch may be stored;
    /// a re-run that skips <see cref="Contains"/> completes it without duplicates.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong vector width, a NaN or infinite value, bad hash, invalid labels or key, one key twice, or one path twice with different hashes.</exception>
    public long[] Add(IReadOnlyList<ItemToAdd> batch)
    {
        ThrowIfReadOnly();
        var ids = new long[batch.Count];
        var pending = new List<(int Index, ItemToAdd Item, string Hash)>();
        var firstInBatch = new Dictionary<string, (int Index, string Hash)>(StringComparer.Ordinal);
        var keysInBatch = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < batch.Count; i++)
        {
            var it = batch[i];
            if (string.IsNullOrEmpty(it.Path)) throw new ArgumentException($"item {i} has an empty path");
            if (it.Vector.Length != Metadata.Dim)
                throw new ArgumentException($"vector for {it.Path} has {it.Vector.Length} values; this index stores {Metadata.Dim}");
            if (FiniteValues.CountNonFinite(it.Vector.Span) > 0) throw new ArgumentException($"vector for {it.Path} holds NaN or infinity; the index stores finite vectors only");
            var hash = ContentHash.Normalize(it.ContentHash, it.Path);
            if (it.Key is not null)
            {
                ItemKeys.CheckKey(it.Key);
                ItemKeys.CheckMetadata(it.LabelsJson, $"key '{it.Key}'");
                // An upsert always writes: the vector or the metadata may have changed even when the image has not.
                if (!keysInBatch.Add(it.Key)) throw new ArgumentException($"key '{it.Key}' appears twice in one batch");
                pending.Add((i, it, hash));
                continue;
            }
            ItemKeys.CheckMetadata(it.LabelsJson, it.Path);
            if (firstInBatch.TryGetValue(it.Path, out var first))
            {
                if (first.Hash != hash) throw new ArgumentException($"{it.Path} appears twice in one batch with different content hashes");
                ids[i] = -1 - first.Index; // Resolved to the first occurrence's id below.
                continue;
            }
            firstInBatch[it.Path] = (i, hash);
            if (_catalog.FindLive(it.Path) is { } hit && hit.Hash == hash) { ids[i] = hit.Id; continue; }
            pending.Add((i, it, hash));
        }

        int pos = 0;
        while (pos < pending.Count)
        {
            EnsureOpenSegment();
            int n = (int)Math.Min(Metadata.SegmentCapacityRows - _openRows, pending.Count - pos);
            var chunk = pending.GetRange(pos, n);
            AppendChunk(chunk, ids);
            pos += n;
        }
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] < 0) ids[i] = ids[-1 - ids[i]];
        return ids;
    }

    /// <summary>Convenience for one item.</summary>
    public long Add(ItemToAdd item) => Add([item])[0];

    private void AppendChunk(List<(int Index, ItemToAdd Item, string Hash)> chunk, long[] ids)
    {
        var seg = _open!;
        var bytes = SegmentFile.Encode(chunk.Select(c => c.Item.Vector).ToList(), Metadata.Dim, Metadata.StorageDType);
        // Step 1: rows land after the committed count and are fsynced. A crash here leaves bytes the
        // catalog does not name; the next Open truncates them.
        seg.WriteRows(_openRows, bytes);
        FaultPoint?.Invoke("add:rows-written");
        // Step 2: one transaction names the rows and raises the committed count. SQLite makes this
        // all-or-nothing; with synchronous=FULL it is durable when Commit returns.
        var added = DateTimeOffset.UtcNow.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        long newRows = _openRows + chunk.Count;
        var assigned = new long[chunk.Count];
        using (var tx = _catalog.Begin())
        {
            for (int k = 0; k < chunk.Count; k++)
            {
                var (_, item, hash) = chunk[k];
                // Replace: the old row is tombstoned and the new one inserted in the same transaction, so a crash
                // leaves either the old item or the new one live, never neither (the unique live-key/path index
                // needs the tombstone first within the transaction).
                var old = item.Key is null ? _catalog.FindLive(item.Path, tx) : _catalog.FindLiveKey(item.Key, tx);
                if (old is { } o) _catalog.Tombstone(o.Id, tx);
                assigned[k] = _catalog.InsertItem(item, hash, _openId, _openRows + k, added, tx);
            }
            _catalog.InsertChunk(_openId, _openRows, chunk.Count, SegmentChunkCheck.Hash(bytes), tx);
            _catalog.UpdateSegmentRows(_openId, newRows, SegmentFile.ExpectedLength(newRows, Metadata.Dim, Metadata.StorageDType), tx);
            _catalog.Commit(tx);
        }
        _openRows = newRows;
        for (int k = 0; k < chunk.Count; k++) ids[chunk[k].Index] = assigned[k];
        FaultPoint?.Invoke("add:committed");
        // Step 3: mirror the count into the .npy header so numpy sees the committed rows. Not fsynced:
        // Open rewrites the header from the catalog, so a stale header after a crash is harmless.
        seg.WriteHeader(_openRows, sync: false);
        if (_openRows >= Metadata.SegmentCapacityRows) SealOpenSegment();
    }

    private void EnsureOpenSegment()
    {
        if (_open is not null && _openRows < Metadata.SegmentCapacityRows) return;
        if (_open is not null) SealOpenSegment();
        // Reserve the id first (committed), then create the file, then record it: a crash between
        // leaves an unnamed file that Open deletes, and a name is never handed out twice.
        long id = _catalog.ReserveSegmentId();
        var name = SegmentFile.NameFor(id);
        var file = SegmentFile.Create(SegmentPath(name), Metadata.StorageDType, Metadata.Dim);
        try
        {
            using var tx = _catalog.Begin();
            _catalog.InsertSegment(new SegmentRecord(id, name, 0, SegmentFile.HeaderBytes, null, false), tx);
            _catalog.Commit(tx);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        _open = file;
        _openId = id;
        _openRows = 0;
    }

    /// <summary>
    /// Seals the open segment: exact length, final header, fsync, then the checksum is committed.
    /// A crash before the commit leaves it unsealed with the same committed rows; Open seals it again.
    /// </summary>
    private void SealOpenSegment()
    {
        var seg = _open!;
        seg.TruncateTo(_openRows);
        long length = seg.Length;
        seg.Dispose();
        _open = null;
        FaultPoint?.Invoke("seal:before-checksum");
        _catalog.SealSegment(_openId, SegmentFile.Checksum(seg.FilePath), length);
    }
}
