// A read-only engine beside a writer in another process (`gpusearch serve --read-only` while `gpusearch index`
// runs): its device vectors were loaded at open, so before each search it asks the catalog whether another
// connection committed since (SQLite's data_version, one small query) and, if so, loads only the items added
// since and drops the ones deleted. A count that still disagrees (a compaction purged tombstones meanwhile)
// rebuilds the vectors from the store. `gpusearch whiten` changes no catalog row but whitening.bin, so the file's
// stamp is compared too (one stat per search) and a new or removed whitening rebuilds the vectors in its space.
using GpuSearch.Search;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    // The store's DataVersion the device vectors reflect (read-only engines); none at first, so the first search
    // also picks up a commit that landed while Open was loading.
    private long _seenVersion = -1;
    private long _loadedMaxId = -1; // highest item id loaded into the device vectors (-1: unknown, set at the first refresh)
    private WhiteningStamp _whiteningStamp; // whitening.bin as it was when _whitening was read

    /// <summary>
    /// Changes whenever the searched vectors change (adds, deletes, a writer's commits seen by a read-only engine, a new
    /// whitening): answers cached from the index compare it to know they still hold.
    /// </summary>
    internal long Revision
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RefreshIfChanged();
            lock (_indexLock) return _index.Revision;
        }
    }

    /// <summary>For a read-only engine: brings the device vectors up to what the writer has committed. Cheap when nothing changed.</summary>
    private void RefreshIfChanged()
    {
        if (!_store.IsReadOnly) return;
        lock (_catalogLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var version = _store.DataVersion;
            var stamp = WhiteningStamp.Of(Folder);
            if (stamp != _whiteningStamp)
            {
                // Read before the rebuild: a file the writer is replacing right now fails its checksum and is retried next time.
                var whitening = ReadWhitening(Folder, _embedder.Dimension, Fingerprint);
                Rebuild(whitening);
                _whiteningStamp = stamp;
                lock (_indexLock) _loadedMaxId = MaxId(_index);
                _seenVersion = version;
                return;
            }
            if (version == _seenVersion) return;
            if (_loadedMaxId < 0) lock (_indexLock) _loadedMaxId = MaxId(_index);
            var added = _store.ReadLive(65536, _loadedMaxId).ToList();
            var deleted = _store.DeletedIds().ToArray();
            long live = _store.Count;
            lock (_indexLock)
            {
                foreach (var batch in added)
                {
                    _index.Add(ToSearchSpace(batch.ToFloat32()), batch.Ids);
                    _loadedMaxId = Math.Max(_loadedMaxId, batch.Ids.Max());
                }
                if (deleted.Length > 0) _index.Remove(deleted);
            }
            if (_index.Count != live)
            {
                // Tombstones purged by a compaction, or a commit between the reads above: start again from the store.
                StoredWhitening? w;
                lock (_indexLock) w = _whitening;
                var index = BuildIndex(_device, _store, w);
                lock (_indexLock)
                {
                    _index.Dispose();
                    _index = index;
                    _loadedMaxId = MaxId(index);
                }
            }
            _seenVersion = version;
        }
    }

    private static long MaxId(FlatIndex index)
    {
        long max = -1;
        foreach (var id in index.Set.RowIds) max = Math.Max(max, id);
        return max;
    }
}

/// <summary>whitening.bin's existence, size and write time: a different stamp means another process changed the whitening.</summary>
internal readonly record struct WhiteningStamp(bool Exists, long Length, DateTime WrittenUtc)
{
    public static WhiteningStamp Of(string folder)
    {
        var file = new FileInfo(Path.Combine(folder, WhiteningFile.FileName));
        return file.Exists ? new(true, file.Length, file.LastWriteTimeUtc) : default;
    }
}
