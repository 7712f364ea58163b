// The host API's duplicate search: the index's own device vectors are searched with its stored vectors as the
// queries, a tile at a time (see Dedup/NearDuplicates).
using GpuSearch.Dedup;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Finds near-duplicate pairs and groups among the indexed images: identical files by content hash, then every
    /// pair with cosine similarity above <see cref="DedupOptions.Threshold"/>, found on the device in tiles, by the
    /// embedding spaces <see cref="DedupOptions.Spaces"/> weights when it is set.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown space or a bad space weight.</exception>
    /// <exception cref="InvalidOperationException">Space weights on a whitened index (whitening mixes the spaces).</exception>
    public DuplicateReport FindDuplicates(DedupOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new DedupOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TileRows);
        RefreshIfChanged();
        lock (_catalogLock)
        lock (_indexLock)
        {
            if (options.Spaces is not null) WeightSpaces(new float[Dimension], options.Spaces); // refused before any work
            var hashes = _store.LiveItems().ToDictionary(i => i.Id, i => i.ContentHash);
            // The stored vectors are the queries: weighting them by space scores each pair by the weighted spaces.
            var tiles = _store.ReadLive(options.TileRows).Select(b => (b.Ids, WeightSpaces(ToSearchSpace(b.ToFloat32()), options.Spaces)));
            return NearDuplicates.Find(_index, tiles, hashes, options);
        }
    }
}
