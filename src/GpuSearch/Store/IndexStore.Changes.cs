// What a long-lived read-only handle needs to follow a writer in another process: a cheap marker that changes
// with every commit by another connection (SQLite's data_version), and the tombstones, so a reader can apply
// what was committed since it loaded instead of reading the whole index again.
namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    /// <summary>
    /// SQLite's <c>PRAGMA data_version</c> for this handle's connection: it changes when another connection (a writer in
    /// another process) commits, so a reader compares it with the value it saw to know whether to look for new items.
    /// One small query; no file is read.
    /// </summary>
    internal long DataVersion => (long)_catalog.Scalar("PRAGMA data_version")!;

    /// <summary>Ids of the tombstoned items still in the catalog (a compaction drops them).</summary>
    internal IReadOnlyList<long> DeletedIds() => _catalog.DeletedIds();
}

internal sealed partial class Catalog
{
    /// <summary>Segments holding an item with an id above <paramref name="afterId"/>: a range scan of the id key, so it costs
    /// what was added since, not the size of the index.</summary>
    public HashSet<long> SegmentsWithItemsAfter(long afterId) => Guard(() =>
    {
        using var c = Cmd("SELECT DISTINCT segment FROM items WHERE id > $a", null, ("$a", afterId));
        using var r = c.ExecuteReader();
        var set = new HashSet<long>();
        while (r.Read()) set.Add(r.GetInt64(0));
        return set;
    });

    public List<long> DeletedIds() => Guard(() =>
    {
        using var c = Cmd("SELECT id FROM items WHERE deleted=1 ORDER BY id");
        using var r = c.ExecuteReader();
        var ids = new List<long>();
        while (r.Read()) ids.Add(r.GetInt64(0));
        return ids;
    });
}
