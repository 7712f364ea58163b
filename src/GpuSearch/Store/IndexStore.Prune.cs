// Pruning: an index keyed by absolute path keeps "ghost" entries after images are deleted or their folder
// is renamed. PruneMissing finds live items whose file no longer exists and deletes them (tombstones; the
// rows go at the next Compact), so searches stop returning paths that cannot be opened.
namespace GpuSearch.Store;

/// <summary>A live item whose file is gone.</summary>
/// <param name="Id">Item id.</param>
/// <param name="Path">The path it was indexed under.</param>
internal sealed record MissingItem(long Id, string Path);

internal sealed partial class IndexStore
{
    /// <summary>
    /// Live items whose path is an absolute file path that no longer exists. Unless <paramref name="dryRun"/>, they are
    /// deleted (tombstoned in one transaction; <see cref="Compact"/> then reclaims their rows). Paths that are not
    /// absolute file paths (URIs, relative names) and items with a caller key are never judged missing.
    /// </summary>
    public IReadOnlyList<MissingItem> PruneMissing(bool dryRun)
    {
        if (!dryRun) ThrowIfReadOnly();
        // A keyed item is the caller's record (a SKU): its file was only where the image came from.
        var keyed = _catalog.LiveKeyedIds();
        var missing = _catalog.LiveItems()
            .Where(x => !keyed.Contains(x.Id) && Path.IsPathFullyQualified(x.Path) && !File.Exists(x.Path) && !Directory.Exists(x.Path))
            .Select(x => new MissingItem(x.Id, x.Path)).ToList();
        if (dryRun || missing.Count == 0) return missing;
        using var tx = _catalog.Begin();
        foreach (var m in missing) _catalog.Tombstone(m.Id, tx);
        _catalog.Commit(tx);
        return missing;
    }
}
