// Opening never destroys data it cannot prove uncommitted: a read-only open writes nothing and refuses a
// catalog that contradicts itself; a writable open moves what it cuts into quarantine/ and restores a
// damaged row count from the rows that verify instead of cutting them off.
using GpuSearch.Store;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Store;

public class IndexStoreOpenSafetyTests : StoreTestBase
{
    private string CatalogPath => Path.Combine(IndexDir, "catalog.sqlite");

    private void Sql(string sql)
    {
        using var c = new SqliteConnection($"Data Source={CatalogPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        Assert.True(cmd.ExecuteNonQuery() > 0, sql);
    }

    private Dictionary<string, byte[]> Snapshot() =>
        Directory.EnumerateFiles(IndexDir, "*", SearchOption.AllDirectories).Where(f => !f.Contains("catalog.sqlite"))
            .ToDictionary(f => Path.GetRelativePath(IndexDir, f), File.ReadAllBytes);

    /// <summary>60 items in one open segment (capacity 100), added in batches of 10: six checksummed chunks.</summary>
    private long[] BuildOpenSegment()
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 100));
        var ids = new List<long>();
        for (int i = 0; i < 60; i += 10) ids.AddRange(s.Add(Items(i, 10)));
        return ids.ToArray();
    }

    [Fact]
    public void Decremented_row_count_is_refused_read_only_and_restored_writable_without_losing_rows()
    {
        var ids = BuildOpenSegment();
        Sql("UPDATE segments SET rows = 10 WHERE id = 1"); // 50 live items now point past the count
        var before = Snapshot();

        var ex = Assert.Throws<StoreCorruptException>(() => IndexStore.OpenReadOnly(IndexDir));
        Assert.Contains("catalog.sqlite", ex.Message);
        Assert.Contains("seg-000001.npy records 10 committed rows", ex.Message);
        Assert.Equal(before, Snapshot()); // nothing written

        using (var s = IndexStore.Open(IndexDir))
        {
            Assert.Contains(s.RecoveryLog, l => l.Contains("restored the count to 60"));
            var all = s.ReadAll();
            Assert.Equal(ids, all.Ids);
            Assert.Equal(Vec(59), all.Vector(59).ToArray());
            Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        }
        Assert.Equal(60, IndexStore.OpenReadOnly(IndexDir).ReadAll().Ids.Length);
    }

    [Fact]
    public void Decremented_row_count_over_damaged_rows_is_left_untouched_and_reads_refuse()
    {
        BuildOpenSegment();
        Sql("UPDATE segments SET rows = 10 WHERE id = 1");
        var seg = SegmentPath("seg-000001.npy");
        var bytes = File.ReadAllBytes(seg);
        bytes[128 + 45 * Dim * 4] ^= 1; // row 45: the restored count could not be proven
        File.WriteAllBytes(seg, bytes);

        using var s = IndexStore.Open(IndexDir);
        Assert.Contains(s.RecoveryLog, l => l.Contains("left untouched"));
        Assert.Equal(bytes, File.ReadAllBytes(seg)); // not cut back to 10 rows
        var ex = Assert.Throws<StoreCorruptException>(() => s.ReadAll());
        Assert.Contains("seg-000001.npy", ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(seg));
    }

    [Theory]
    [InlineData("UPDATE meta SET value = '<f2' WHERE key = 'dtype'", "dtype <f2")]
    [InlineData("UPDATE segments SET byte_length = 4000 WHERE id = 1", "recorded 4000")]
    public void Meta_that_contradicts_the_segments_is_refused_by_every_open_and_changes_nothing(string damage, string expected)
    {
        BuildOpenSegment();
        Sql(damage);
        var before = Snapshot();
        foreach (var open in new Func<IndexStore>[] { () => IndexStore.OpenReadOnly(IndexDir), () => IndexStore.Open(IndexDir) })
        {
            var ex = Assert.Throws<StoreCorruptException>(open);
            Assert.Contains("catalog.sqlite", ex.Message);
            Assert.Contains(expected, ex.Message);
            Assert.Contains("nothing was changed", ex.Message);
        }
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Uncommitted_tail_and_unnamed_files_are_moved_to_quarantine_not_deleted()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100)))
        {
            s.Add(Items(0, 3));
            s.FaultPoint = p => { if (p == "add:rows-written") throw new IOException("simulated crash"); };
            Assert.Throws<IOException>(() => s.Add(Items(3, 2)));
        }
        var seg = SegmentPath("seg-000001.npy");
        var tail = File.ReadAllBytes(seg)[(128 + 3 * Dim * 4)..];
        Assert.Equal(2 * Dim * 4, tail.Length);
        File.WriteAllBytes(SegmentPath("seg-000009.npy"), [1, 2, 3]);
        File.WriteAllBytes(SegmentPath("seg-000010.npy.tmp"), [4, 5]);

        using (var r = IndexStore.OpenReadOnly(IndexDir)) Assert.Equal(3, r.ReadAll().Ids.Length);
        Assert.False(Directory.Exists(Path.Combine(IndexDir, "quarantine"))); // read-only writes nothing

        using var w = IndexStore.Open(IndexDir);
        Assert.NotNull(w.QuarantineFolder);
        Assert.StartsWith(Path.Combine(IndexDir, "quarantine") + Path.DirectorySeparatorChar, w.QuarantineFolder);
        Assert.Equal(tail, File.ReadAllBytes(Path.Combine(w.QuarantineFolder!, "seg-000001.npy.rows-3-and-up")));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(w.QuarantineFolder!, "seg-000009.npy")));
        Assert.Equal([4, 5], File.ReadAllBytes(Path.Combine(w.QuarantineFolder!, "seg-000010.npy.tmp")));
        Assert.Contains("seg-000009.npy", File.ReadAllText(Path.Combine(w.QuarantineFolder!, "README.txt")));
        Assert.False(File.Exists(SegmentPath("seg-000009.npy")));
        Assert.Equal(128 + 3 * Dim * 4, new FileInfo(seg).Length);
        Assert.Equal(3, w.Count);
    }
}
