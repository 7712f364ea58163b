// A create killed half-way must not leave a folder that every later open or create refuses.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class IndexStoreCreateTests : StoreTestBase
{
    [Fact]
    public void Create_over_the_leftovers_of_a_killed_create_succeeds()
    {
        // What a kill between the schema transaction and the rename leaves: LOCK, an empty segments folder and a
        // half-written catalog under its temporary name (here not even a valid SQLite file).
        Directory.CreateDirectory(Path.Combine(IndexDir, "segments"));
        File.WriteAllText(Path.Combine(IndexDir, "LOCK"), "");
        File.WriteAllBytes(Path.Combine(IndexDir, "catalog.sqlite.creating"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(IndexDir, "catalog.sqlite.creating-journal"), [4]);
        using (var s = IndexStore.Create(IndexDir, Meta()))
            s.Add(Items(0, 3));
        Assert.False(File.Exists(Path.Combine(IndexDir, "catalog.sqlite.creating")));
        Assert.False(File.Exists(Path.Combine(IndexDir, "catalog.sqlite.creating-journal")));
        using var reopened = IndexStore.Open(IndexDir, Fingerprint());
        Assert.Equal(3, reopened.Count);
    }

    [Fact]
    public void A_created_index_has_no_temporary_catalog_left()
    {
        IndexStore.Create(IndexDir, Meta()).Dispose();
        Assert.True(File.Exists(Path.Combine(IndexDir, "catalog.sqlite")));
        Assert.Empty(Directory.EnumerateFiles(IndexDir, "*.creating*"));
    }

    [Theory]
    [InlineData("photo.jpg")]
    [InlineData("segments/seg-000001.npy")]
    public void Create_refuses_a_folder_holding_anything_else_and_leaves_it_as_it_was(string other)
    {
        Directory.CreateDirectory(Path.Combine(IndexDir, "segments"));
        File.WriteAllBytes(Path.Combine(IndexDir, "catalog.sqlite.creating"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(IndexDir, other), "keep me");
        var e = Assert.Throws<IOException>(() => IndexStore.Create(IndexDir, Meta()));
        Assert.Contains("not empty", e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(IndexDir, other)));
        Assert.True(File.Exists(Path.Combine(IndexDir, "catalog.sqlite.creating")));
    }

    [Fact]
    public void Create_beside_a_finished_catalog_is_refused()
    {
        IndexStore.Create(IndexDir, Meta()).Dispose();
        File.WriteAllBytes(Path.Combine(IndexDir, "catalog.sqlite.creating"), [1]);
        Assert.Throws<IOException>(() => IndexStore.Create(IndexDir, Meta()));
        using var s = IndexStore.Open(IndexDir, Fingerprint());
        Assert.Equal(0, s.Count);
    }
}
