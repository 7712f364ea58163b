// What a long-lived reader follows a writer with: the commit marker moves on another connection's commit (and
// not otherwise), reading after an id gives exactly the items committed since, and tombstones are listed.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreChangesTests : StoreTestBase
{
    [Fact]
    public void Reader_sees_the_marker_move_on_a_commit_and_reads_only_what_is_new()
    {
        using var w = IndexStore.Create(IndexDir, Meta(capacity: 4));
        var first = w.Add(Items(0, 6));
        using var r = IndexStore.OpenReadOnly(IndexDir, Fingerprint());
        var v0 = r.DataVersion;
        Assert.Equal(v0, r.DataVersion); // reading does not move it
        Assert.Empty(r.ReadLive(65536, first.Max()));

        var more = w.Add(Items(6, 3));
        Assert.NotEqual(v0, r.DataVersion);
        var fresh = r.ReadLive(65536, first.Max()).SelectMany(b => b.Ids).ToArray();
        Assert.Equal(more, fresh);
        Assert.Equal(first.Concat(more), r.ReadLive(65536, -1).SelectMany(b => b.Ids));

        var v1 = r.DataVersion;
        Assert.True(w.Delete(first[2]));
        Assert.NotEqual(v1, r.DataVersion);
        Assert.Equal([first[2]], r.DeletedIds());
        Assert.DoesNotContain(first[2], r.ReadLive(65536, -1).SelectMany(b => b.Ids));
    }
}
