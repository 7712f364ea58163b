// Lookup by content: which live items hold exactly these bytes (the items_hash index), so a query image can
// leave its own copies out of its results without scanning the catalog.
namespace GpuSearch.Store;

internal sealed partial class Catalog
{
    /// <summary>Ids of the live items whose content hash is <paramref name="hash"/>, ascending.</summary>
    public IReadOnlyList<long> LiveIdsWithHash(string hash) => Guard(() =>
    {
        var c = Prepared("SELECT id FROM items WHERE content_hash=$h AND deleted=0 ORDER BY id", null, ("$h", hash));
        using var r = c.ExecuteReader();
        var ids = new List<long>();
        while (r.Read()) ids.Add(r.GetInt64(0));
        return ids;
    });
}

internal sealed partial class IndexStore
{
    /// <summary>Ids of the live items with content hash <paramref name="contentHash"/> (SHA-256 hex), ascending.</summary>
    public IReadOnlyList<long> LiveIdsWithContentHash(string contentHash) =>
        _catalog.LiveIdsWithHash(ContentHash.Normalize(contentHash, "query"));
}
