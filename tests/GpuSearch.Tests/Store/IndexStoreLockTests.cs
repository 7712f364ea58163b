// Lock errors say what really happened: "open in another process" only when the LOCK is held; a read-only
// medium is reported as such, and the index on it can still be opened read-only and read (no lock needed).
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreLockTests : StoreTestBase
{
    [Fact]
    public void Held_lock_says_another_process()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var ex = Assert.Throws<IOException>(() => IndexStore.Open(IndexDir));
        Assert.Contains("open in another process", ex.Message);
        using var r = IndexStore.OpenReadOnly(IndexDir); // readers never need the lock
        Assert.Equal(0, r.Count);
    }

    [MountFact]
    public void Read_only_medium_is_named_as_such_and_can_still_be_read()
    {
        long[] ids;
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 4))) ids = s.Add(Items(0, 10));
        using var ro = TestMount.ReadOnlyView(IndexDir);

        var ex = Assert.Throws<IOException>(() => IndexStore.Open(ro.Path));
        Assert.DoesNotContain("another process", ex.Message);
        Assert.Contains("Read-only file system", ex.Message);
        Assert.Contains("LOCK", ex.Message);

        using var r = IndexStore.OpenReadOnly(ro.Path);
        Assert.Equal(ids, r.ReadAll().Ids);
        Assert.Equal(Vec(9), r.GetVector(ids[9]));
        Assert.True(r.Verify().IsHealthy, r.Verify().ToString());
    }

    [MountFact]
    public void Read_only_medium_with_unapplied_wal_commits_is_refused_not_shown_stale()
    {
        var copy = Path.Combine(Root, "copy");
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100)))
        {
            s.Add(Items(0, 5));
            // While the writer is open its commits sit in catalog.sqlite-wal; copy the folder as a crash would leave it, minus the -shm.
            foreach (var f in Directory.EnumerateFiles(IndexDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("-shm", StringComparison.Ordinal) && !f.EndsWith("LOCK", StringComparison.Ordinal)))
            {
                var to = Path.Combine(copy, Path.GetRelativePath(IndexDir, f));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                using var src = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var dst = File.Create(to);
                src.CopyTo(dst);
            }
        }
        Assert.True(new FileInfo(Path.Combine(copy, "catalog.sqlite-wal")).Length > 0);
        using var ro = TestMount.ReadOnlyView(copy);
        var ex = Assert.ThrowsAny<IOException>(() => IndexStore.OpenReadOnly(ro.Path).Dispose());
        Assert.Contains("catalog.sqlite-wal", ex.Message);
        Assert.Contains("read-only medium", ex.Message);
    }
}
