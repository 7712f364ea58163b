// A read-only engine beside a writer in another process (`gpusearch serve --read-only` while `gpusearch index`
// runs): its device vectors were loaded at open, so before each search it asks the catalog whether another
// connection committed since (SQLite's data_version, one small query) and, if so, loads only the items added
// since and drops the ones deleted. A count that still disagrees (a compaction purged tombstones meanwhile)
// rebuilds the vectors from the store.
using GpuSearch.Search;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    // The store's DataVersion the device vectors reflect (read-only engines); none at first, so the first search
    // also picks up a commit that landed while Open was loading.
    private long _seenVersion = -1;
    private long _loadedMaxId = -1; // highest item id loaded into the device vectors (-1: unknown, set at the first refresh)

    /// <summary>For a read-only engine: brings the device vectors up to what the writer has committed. Cheap when nothing changed.</summary>
    private void RefreshIfChanged()
    {
        if (!_store.IsReadOnly) return;
        lock (_catalogLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var version = _store.DataVersion;
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
