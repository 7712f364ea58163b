// Read-only handles beside a writer: committed rows only, no lock, no mutations.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreReadOnlyTests : StoreTestBase
{
    [Fact]
    public void Reader_beside_a_writer_sees_committed_rows_and_cannot_write()
    {
        using var w = IndexStore.Create(IndexDir, Meta(capacity: 4));
        var first = w.Add(Items(0, 6));
        using var r = IndexStore.OpenReadOnly(IndexDir, Fingerprint());
        Assert.True(r.IsReadOnly);
        Assert.Equal(first, r.ReadAll().Ids);
        var more = w.Add(Items(6, 3));
        Assert.Equal(first.Concat(more), r.ReadAll().Ids);
        Assert.True(r.Contains("img/0007.jpg", Item(7).ContentHash));
        Assert.Throws<InvalidOperationException>(() => r.Add(Item(20)));
        Assert.Throws<InvalidOperationException>(() => r.Delete(first[0]));
        Assert.Throws<InvalidOperationException>(() => r.Compact());
        Assert.True(r.Verify().IsHealthy);
    }

    [Fact]
    public void Reader_of_a_crashed_index_ignores_uncommitted_rows_and_changes_nothing()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100)))
        {
            s.Add(Items(0, 3));
            s.FaultPoint = p => { if (p == "add:rows-written") throw new IOException("simulated crash"); };
            Assert.Throws<IOException>(() => s.Add(Items(3, 2)));
        }
        var seg = SegmentPath("seg-000001.npy");
        long before = new FileInfo(seg).Length;
        using (var r = IndexStore.OpenReadOnly(IndexDir))
        {
            Assert.Equal(3, r.ReadAll().Ids.Length);
            Assert.Empty(r.RecoveryLog);
        }
        Assert.Equal(before, new FileInfo(seg).Length); // recovery is the writer's job
        using var w = IndexStore.Open(IndexDir);
        Assert.NotEmpty(w.RecoveryLog);
    }

    [Fact]
    public void Reader_refuses_another_models_index()
    {
        IndexStore.Create(IndexDir, Meta()).Dispose();
        Assert.Throws<FingerprintMismatchException>(() => IndexStore.OpenReadOnly(IndexDir, Fingerprint(model: "other")));
    }
}
