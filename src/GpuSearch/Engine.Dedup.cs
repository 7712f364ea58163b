// The host API's duplicate search: the index's own device vectors are searched with its stored vectors as the
// queries, a tile at a time (see Dedup/NearDuplicates).
using GpuSearch.Dedup;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Finds near-duplicate pairs and groups among the indexed images: identical files by content hash, then every
    /// pair with cosine similarity above <see cref="DedupOptions.Threshold"/>, found on the device in tiles.
    /// </summary>
    public DuplicateReport FindDuplicates(DedupOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new DedupOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TileRows);
        RefreshIfChanged();
        lock (_catalogLock)
        lock (_indexLock)
        {
            var hashes = _store.LiveItems().ToDictionary(i => i.Id, i => i.ContentHash);
            var tiles = _store.ReadLive(options.TileRows).Select(b => (b.Ids, ToSearchSpace(b.ToFloat32())));
            return NearDuplicates.Find(_index, tiles, hashes, options);
        }
    }
}
