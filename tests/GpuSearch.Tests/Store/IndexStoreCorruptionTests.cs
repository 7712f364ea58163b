// Damage the files behind the store's back and check that Verify finds it, says what is
// recoverable, and that Repair + re-adding restores a healthy index.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreCorruptionTests : StoreTestBase
{
    /// <summary>Adds <paramref name="count"/> items in batches of <paramref name="batch"/>: each batch is one checksummed chunk.</summary>
    private long[] Build(int count = 10, int capacity = 4, int batch = 2)
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: capacity));
        var ids = new List<long>();
        for (int i = 0; i < count; i += batch) ids.AddRange(s.Add(Items(i, Math.Min(batch, count - i))));
        return ids.ToArray();
    }

    private void FlipByte(string segment, long offset)
    {
        var path = SegmentPath(segment);
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Flipped_byte_in_sealed_segment_is_pinned_to_its_chunk_and_repair_keeps_the_rest()
    {
        var ids = Build(); // seg 2 holds items 4..7 as chunks [4,5] and [6,7]
        FlipByte("seg-000002.npy", 128 + 5);

        using var s = IndexStore.Open(IndexDir);
        var report = s.Verify();
        Assert.False(report.IsHealthy);
        var issue = Assert.Single(report.Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Equal("seg-000002.npy", issue.Subject);
        Assert.StartsWith("rows 0..1: checksum mismatch", issue.Problem);
        Assert.Equal(ids[4..6], issue.AffectedIds);
        Assert.Equal(2, report.DamagedItems);
        Assert.Equal(8, report.RecoverableItems);
        Assert.Contains("img/0005.jpg", report.ToString());
        s.Delete(ids[6]);
        Assert.Throws<StoreCorruptException>(() => s.Compact()); // compaction never copies damaged rows

        var repair = s.Repair();
        Assert.Equal(["img/0004.jpg", "img/0005.jpg"], repair.PathsToReAdd);
        Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        var all = s.ReadAll();
        Assert.Equal(7, all.Ids.Length); // 10 - 2 damaged - 1 deleted; item 7 survived in its own chunk
        Assert.Equal(Vec(7), s.GetVector(ids[7]));
        s.Add(Items(0, 10)); // the re-run re-embeds exactly what was lost (and item 6, deleted above)
        Assert.Equal(10, s.Count);
        Assert.True(s.Verify().IsHealthy);
        Assert.Equal(Vec(5), s.GetVector(s.Get("img/0005.jpg")!.Id));
    }

    [Fact]
    public void Flipped_byte_in_open_segment_is_detected()
    {
        var ids = Build(count: 10, capacity: 100, batch: 5);
        FlipByte("seg-000001.npy", 128 + 7 * Dim * 4 + 1); // row 7: second chunk
        using var s = IndexStore.Open(IndexDir);
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.StartsWith("rows 5..9: checksum mismatch", issue.Problem);
        Assert.Equal(ids[5..], issue.AffectedIds);
        s.Repair();
        Assert.True(s.Verify().IsHealthy);
        Assert.Equal(ids[..5], s.ReadAll().Ids);
        s.Add(Items(10, 1)); // appends continue in a new segment
        Assert.Equal(6, s.Count);
    }

    [Fact]
    public void Truncated_sealed_segment_reports_rows_present_and_lost()
    {
        var ids = Build(batch: 1);
        var seg = SegmentPath("seg-000001.npy");
        using (var fs = new FileStream(seg, FileMode.Open)) fs.SetLength(128 + 2 * Dim * 4 + 3);

        using var s = IndexStore.Open(IndexDir);
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.StartsWith("rows 2..3: past the end of the file", issue.Problem);
        Assert.Contains("the other 2 rows verify", issue.Recovery);
        Assert.Equal(ids[2..4], issue.AffectedIds);
        Assert.Throws<StoreCorruptException>(() => s.ReadAll());
        var r = s.Repair();
        Assert.Equal(["img/0002.jpg", "img/0003.jpg"], r.PathsToReAdd);
        Assert.True(s.Verify().IsHealthy);
        Assert.Equal(8, s.ReadAll().Ids.Length);
        Assert.Equal(Vec(1), s.GetVector(ids[1]));
    }

    [Fact]
    public void Truncated_open_segment_is_left_alone_by_open_and_reported()
    {
        Build(count: 6, batch: 1); // seg 2 is open with 2 rows
        var seg = SegmentPath("seg-000002.npy");
        using (var fs = new FileStream(seg, FileMode.Open)) fs.SetLength(128 + Dim * 4);
        using var s = IndexStore.Open(IndexDir);
        Assert.Contains(s.RecoveryLog, l => l.Contains("left as is"));
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Equal(["img/0005.jpg"], issue.AffectedPaths); // row 0 survived, row 1 is lost
        s.Add(Items(6, 1)); // appends go to a fresh segment, not past the hole
        Assert.True(File.Exists(SegmentPath("seg-000003.npy")));
        s.Repair();
        Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        Assert.Equal(6, s.Count);
    }

    [Fact]
    public void Damaged_header_of_sealed_segment_is_rewritten_by_repair_without_losing_rows()
    {
        var ids = Build();
        var seg = SegmentPath("seg-000001.npy");
        var bytes = File.ReadAllBytes(seg);
        bytes[20] = (byte)'X'; // inside the dict text
        File.WriteAllBytes(seg, bytes);
        using var s = IndexStore.Open(IndexDir);
        var issue = Assert.Single(s.Verify().Issues, i => i.Severity == VerifySeverity.Error);
        Assert.Contains("header unreadable", issue.Problem);
        Assert.Empty(issue.AffectedIds);
        var r = s.Repair();
        Assert.Empty(r.PathsToReAdd);
        Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        Assert.Equal(ids, s.ReadAll().Ids);
        Assert.Equal([4L, (long)Dim], NpyFile.ReadHeader(seg).Shape);
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
