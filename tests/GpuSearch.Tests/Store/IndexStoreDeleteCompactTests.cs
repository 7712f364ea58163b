// Tombstones and compaction, including a simulated crash at each step of a compaction.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreDeleteCompactTests : StoreTestBase
{
    [Fact]
    public void Deleted_items_disappear_from_reads_and_contains()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var ids = s.Add(Items(0, 6));
        Assert.True(s.Delete(ids[1]));
        Assert.False(s.Delete(ids[1]));
        Assert.True(s.Delete("img/0004.jpg"));
        Assert.False(s.Delete("img/nope.jpg"));
        Assert.False(s.Contains("img/0004.jpg", Item(4).ContentHash));
        Assert.Equal(4, s.Count);
        Assert.Equal(new[] { ids[0], ids[2], ids[3], ids[5] }, s.ReadAll().Ids);
        // A deleted path can be added again; it gets a fresh id.
        long again = s.Add(Item(4));
        Assert.NotEqual(ids[4], again);
    }

    [Fact]
    public void Streaming_read_over_sparse_tombstones_bounds_each_batch_by_file_rows()
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 64));
        var ids = s.Add(Items(0, 40));
        for (int i = 0; i < 40; i++) if (i % 7 != 0) s.Delete(ids[i]);
        var batches = s.ReadLive(maxRows: 10).ToList();
        Assert.Equal(new[] { 0, 7, 14, 21, 28, 35 }.Select(i => ids[i]), batches.SelectMany(b => b.Ids));
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 2));
        Assert.Equal(Vec(35), batches[^1].ToFloat32().AsSpan((batches[^1].Count - 1) * Dim).ToArray());
    }

    [Fact]
    public void Compact_drops_deleted_rows_keeps_ids_and_vectors()
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 4));
        var ids = s.Add(Items(0, 10)); // segments 1 (sealed), 2 (sealed), 3 (open: 2 rows)
        foreach (var i in new[] { 0, 1, 2, 3, 5, 9 }) s.Delete(ids[i]);
        long before = Directory.EnumerateFiles(Path.Combine(IndexDir, "segments")).Sum(f => new FileInfo(f).Length);
        var r = s.Compact();
        Assert.Equal(3, r.SegmentsRewritten);
        Assert.Equal(6, r.ItemsRemoved);
        Assert.True(r.BytesReclaimed > 0);
        long after = Directory.EnumerateFiles(Path.Combine(IndexDir, "segments")).Sum(f => new FileInfo(f).Length);
        Assert.Equal(before - r.BytesReclaimed, after);
        Assert.False(File.Exists(SegmentPath("seg-000001.npy"))); // fully deleted segment is gone
        var all = s.ReadAll();
        Assert.Equal(new[] { ids[4], ids[6], ids[7], ids[8] }, all.Ids.Order());
        foreach (var (id, k) in all.Ids.Select((id, k) => (id, k)))
            Assert.Equal(Vec(Array.IndexOf(ids, id)), all.Vector(k).ToArray());
        Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
        Assert.Equal(new CompactionResult(0, 0, 0), s.Compact());
        // Appends continue after compaction into a fresh segment, and ids are never reissued.
        var more = s.Add(Items(100, 3));
        Assert.True(more.Min() > ids.Max());
        Assert.Equal(7, s.Count);
    }

    [Theory]
    [InlineData("compact:files-written", false)]
    [InlineData("compact:committed", true)]
    public void Crash_during_compaction_leaves_old_or_new_state_and_open_cleans_up(string point, bool committed)
    {
        long[] ids;
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 4)))
        {
            ids = s.Add(Items(0, 8));
            s.Delete(ids[1]);
            s.Delete(ids[6]);
            s.FaultPoint = p => { if (p == point) throw new IOException("simulated crash at " + p); };
            Assert.Throws<IOException>(() => s.Compact());
        }
        using (var s = IndexStore.Open(IndexDir))
        {
            Assert.NotEmpty(s.RecoveryLog); // orphaned new (or old) segment files were removed
            var files = Directory.EnumerateFiles(Path.Combine(IndexDir, "segments")).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(committed ? ["seg-000003.npy", "seg-000004.npy"] : ["seg-000001.npy", "seg-000002.npy"], files);
            var all = s.ReadAll();
            Assert.Equal(ids.Where((_, i) => i is not (1 or 6)), all.Ids.Order());
            Assert.True(s.Verify().IsHealthy, s.Verify().ToString());
            s.Compact();
            Assert.Equal(6, s.Count);
        }
    }

    [Fact]
    public void Crash_between_commit_and_seal_is_sealed_on_open()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 4)))
        {
            s.FaultPoint = p => { if (p == "seal:before-checksum") throw new IOException("simulated crash"); };
            Assert.Throws<IOException>(() => s.Add(Items(0, 4)));
        }
        using (var s = IndexStore.Open(IndexDir))
        {
            Assert.Contains(s.RecoveryLog, l => l.StartsWith("sealed seg-000001.npy", StringComparison.Ordinal));
            Assert.Equal(4, s.Count);
            Assert.True(s.Verify().IsHealthy);
        }
    }

    [Fact]
    public void Rows_written_but_not_committed_are_truncated_on_open()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100)))
        {
            s.Add(Items(0, 3));
            s.FaultPoint = p => { if (p == "add:rows-written") throw new IOException("simulated crash"); };
            Assert.Throws<IOException>(() => s.Add(Items(3, 2)));
            Assert.Equal(3, s.Count);
        }
        var seg = SegmentPath("seg-000001.npy");
        // Dispose rewrote the header, but the uncommitted rows are still in the file until the next open.
        Assert.Equal(128 + 5 * Dim * 4, new FileInfo(seg).Length);
        using (var s = IndexStore.Open(IndexDir))
        {
            Assert.Contains(s.RecoveryLog, l => l.Contains("never committed"));
            Assert.Equal(128 + 3 * Dim * 4, new FileInfo(seg).Length);
            Assert.Equal(3, NpyFile.ReadHeader(seg).Rows);
            var ids = s.Add(Items(3, 2)); // resume
            Assert.Equal(5, s.Count);
            Assert.Equal(Vec(4), s.GetVector(ids[1]));
        }
    }
}
