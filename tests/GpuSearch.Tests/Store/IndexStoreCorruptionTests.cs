// Damage the files behind the store's back and check that Verify finds it, says what is
// recoverable, and that Repair + re-adding restores a healthy index.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreCorruptionTests : StoreTestBase
{
    private long[] Build(int count = 10, int capacity = 4)
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: capacity));
        return s.Add(Items(0, count));
    }

    [Fact]
    public void Flipped_byte_in_sealed_segment_fails_checksum_and_repair_recovers()
    {
        var ids = Build();
        var seg = SegmentPath("seg-000002.npy");
        var bytes = File.ReadAllBytes(seg);
        bytes[128 + 5] ^= 0x40;
        File.WriteAllBytes(seg, bytes);

        using var s = IndexStore.Open(IndexDir);
        var report = s.Verify();
        Assert.False(report.IsHealthy);
        var issue = Assert.Single(report.Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Equal("seg-000002.npy", issue.Subject);
        Assert.Contains("checksum mismatch", issue.Problem);
        Assert.Equal(ids[4..8], issue.AffectedIds);
        Assert.Equal(4, report.DamagedItems);
        Assert.Equal(6, report.RecoverableItems);
        Assert.Contains("img/0005.jpg", report.ToString());
        s.Delete(ids[4]);
        Assert.Throws<StoreCorruptException>(() => s.Compact()); // compaction never copies damaged data

        var repair = s.Repair();
        Assert.Equal(["img/0005.jpg", "img/0006.jpg", "img/0007.jpg"], repair.PathsToReAdd);
        Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        s.Add(Items(0, 10)); // the re-run re-embeds exactly what was lost (and item 4, deleted above)
        Assert.Equal(10, s.Count);
        Assert.True(s.Verify().IsHealthy);
        Assert.Equal(Vec(5), s.GetVector(s.Get("img/0005.jpg")!.Id));
    }

    [Fact]
    public void Truncated_sealed_segment_reports_rows_present_and_lost()
    {
        Build();
        var seg = SegmentPath("seg-000001.npy");
        using (var fs = new FileStream(seg, FileMode.Open)) fs.SetLength(128 + 2 * Dim * 4 + 3);

        using var s = IndexStore.Open(IndexDir);
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Contains("truncated", issue.Problem);
        Assert.Contains("rows 0..1 are present", issue.Recovery);
        Assert.Contains("2 live items past row 2 are lost", issue.Recovery);
        Assert.Throws<StoreCorruptException>(() => s.ReadAll());
        s.Repair();
        Assert.True(s.Verify().IsHealthy);
        Assert.Equal(6, s.ReadAll().Ids.Length);
    }

    [Fact]
    public void Truncated_open_segment_is_left_alone_by_open_and_reported()
    {
        Build(count: 6); // seg 2 is open with 2 rows
        var seg = SegmentPath("seg-000002.npy");
        using (var fs = new FileStream(seg, FileMode.Open)) fs.SetLength(128 + Dim * 4);
        using var s = IndexStore.Open(IndexDir);
        Assert.Contains(s.RecoveryLog, l => l.Contains("left as is"));
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Equal(["img/0005.jpg"], issue.AffectedPaths); // row 0 survived, row 1 is lost
        s.Add(Items(6, 1)); // appends go to a fresh segment, not past the hole
        Assert.True(File.Exists(SegmentPath("seg-000003.npy")));
    }

    [Fact]
    public void Missing_segment_is_reported()
    {
        Build();
        File.Delete(SegmentPath("seg-000001.npy"));
        var report = IndexStore.VerifyFolder(IndexDir);
        var issue = Assert.Single(report.Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Contains("missing", issue.Problem);
        Assert.Equal(4, issue.AffectedIds.Count);
    }

    [Fact]
    public void Truncated_catalog_is_detected()
    {
        Build(count: 200, capacity: 64);
        var cat = Path.Combine(IndexDir, "catalog.sqlite");
        Assert.False(File.Exists(cat + "-wal") && new FileInfo(cat + "-wal").Length > 0, "WAL should be checkpointed on close");
        long len = new FileInfo(cat).Length;
        Assert.True(len > 8192);
        using (var fs = new FileStream(cat, FileMode.Open)) fs.SetLength(len / 2);

        var report = IndexStore.VerifyFolder(IndexDir);
        Assert.False(report.IsHealthy);
        var issue = Assert.Single(report.Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Equal("catalog", issue.Subject);
        Assert.Contains("seg-000001.npy (64 rows)", report.ToString() + issue.Recovery);
    }

    [Fact]
    public void Garbage_in_catalog_pages_is_detected()
    {
        Build(count: 200, capacity: 64);
        var cat = Path.Combine(IndexDir, "catalog.sqlite");
        var bytes = File.ReadAllBytes(cat);
        // Overwrite the middle of every page after the first (page size 4096): b-tree pages become nonsense.
        for (int p = 4096; p + 4096 <= bytes.Length; p += 4096)
            for (int k = 100; k < 400; k++) bytes[p + k] = (byte)(k * 37);
        File.WriteAllBytes(cat, bytes);

        var report = IndexStore.VerifyFolder(IndexDir);
        Assert.False(report.IsHealthy);
        Assert.Contains(report.Issues, i => i.Severity == VerifySeverity.Error && i.Subject == "catalog");
    }

    [Fact]
    public void Not_a_database_is_reported_as_corrupt_on_open()
    {
        Build(count: 2);
        File.WriteAllText(Path.Combine(IndexDir, "catalog.sqlite"), "this is not sqlite");
        var ex = Assert.Throws<StoreCorruptException>(() => IndexStore.Open(IndexDir));
        Assert.Contains("catalog.sqlite", ex.Message);
        Assert.Contains("readable by numpy", ex.Message);
    }
}
