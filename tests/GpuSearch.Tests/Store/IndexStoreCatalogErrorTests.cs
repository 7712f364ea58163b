// SQLite failures on the catalog surface as CatalogException (an IOException naming catalog.sqlite), never
// as a raw SqliteException: a damaged page while reading, and a full disk while adding. The full disk is
// real SQLITE_FULL from SQLite, made by capping the catalog with PRAGMA max_page_count on the store's own
// connection (a tmpfs would need root; the CLI test in Cli/StoreErrorCommandTests uses one when it can).
using GpuSearch.Store;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Store;

public class IndexStoreCatalogErrorTests : StoreTestBase
{
    private string CatalogPath => Path.Combine(IndexDir, "catalog.sqlite");

    [Fact]
    public void Full_disk_while_adding_is_a_catalog_exception_and_loses_nothing_committed()
    {
        long committed;
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 1000)))
        {
            s.Add(Items(0, 10));
            var cat = s.CatalogForTests;
            long pages = (long)cat.Scalar("PRAGMA page_count")!;
            cat.Scalar($"PRAGMA max_page_count = {pages + 1}");
            var ex = Assert.Throws<CatalogException>(() => { for (int i = 10; i < 5000; i += 100) s.Add(Items(i, 100)); });
            Assert.True(ex.IsDiskFull, ex.Message);
            Assert.Contains(CatalogPath, ex.Message);
            Assert.Contains("disk is full", ex.Message);
            committed = s.Count;
            Assert.InRange(committed, 10, 4999);
        }
        using var r = IndexStore.Open(IndexDir);
        Assert.Equal(committed, r.Count);
        Assert.True(r.Verify().IsHealthy, r.Verify().ToString());
        Assert.Equal(Vec(5), r.GetVector(r.Get("img/0005.jpg")!.Id));
    }

    [MountFact]
    public void Full_disk_while_creating_is_an_io_error_naming_the_file()
    {
        using var disk = TestMount.Tmpfs(Path.Combine(Root, "tiny"), 12 * 1024);
        var dir = Path.Combine(disk.Path, "index");
        var ex = Record.Exception(() => IndexStore.Create(dir, Meta()).Dispose());
        Assert.NotNull(ex);
        Assert.IsNotType<SqliteException>(ex);
        var io = Assert.IsAssignableFrom<IOException>(ex);
        Assert.Contains(dir, io.Message);
    }

    [Fact]
    public void Damaged_catalog_page_is_an_io_error_naming_the_catalog_never_a_sqlite_exception()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 64)))
            for (int i = 0; i < 400; i += 20) s.Add(Items(i, 20));
        var bytes = File.ReadAllBytes(CatalogPath);
        Assert.True(bytes.Length > 5 * 4096);
        int mid = bytes.Length / 2 / 4096 * 4096;
        for (int k = 0; k < 4096; k++) bytes[mid + k] = (byte)(k * 131 + 7); // one whole page in the middle
        File.WriteAllBytes(CatalogPath, bytes);

        foreach (var open in new Func<IndexStore>[] { () => IndexStore.OpenReadOnly(IndexDir), () => IndexStore.Open(IndexDir) })
        {
            VerifyReport? report = null;
            var ex = Record.Exception(() =>
            {
                using var s = open();
                s.ReadAll();
                for (long id = 1; id <= 400; id++) s.Get(id);
                report = s.Verify(); // whichever statement meets the page first
            });
            if (ex is null)
            {
                // Nothing on the way threw: then Verify must have reported the damage.
                Assert.NotNull(report);
                Assert.Contains(report!.Issues, i => i.Severity == VerifySeverity.Error && i.Subject == "catalog");
                continue;
            }
            Assert.IsNotType<SqliteException>(ex);
            Assert.IsAssignableFrom<IOException>(ex);
            Assert.Contains(CatalogPath, ex.Message);
        }
    }
}
