// Create/add/reopen/read, resume without duplicates, replace on changed content, labels, fp16.
using GpuSearch.Store;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Store;

public class IndexStoreBasicTests : StoreTestBase
{
    [Fact]
    public void Sqlite_native_library_loads_and_runs_wal()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(Root, "probe.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL";
        Assert.Equal("wal", cmd.ExecuteScalar());
        cmd.CommandText = "SELECT sqlite_version()";
        Assert.StartsWith("3.", (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public void Create_add_reopen_reads_everything_back_in_row_order()
    {
        long[] ids;
        using (var s = IndexStore.Create(IndexDir, Meta()))
        {
            ids = s.Add(Items(0, 10));
            Assert.Equal(10, ids.Distinct().Count());
            Assert.Equal(10, s.Count);
        }
        using (var s = IndexStore.Open(IndexDir, Fingerprint()))
        {
            Assert.Empty(s.RecoveryLog);
            var all = s.ReadAll();
            Assert.Equal(ids, all.Ids);
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal($"img/{i:D4}.jpg", all.Paths[i]);
                Assert.Equal(Vec(i), all.Vector(i).ToArray());
            }
            Assert.Equal(Vec(7), s.GetVector(ids[7]));
            var item = s.Get(ids[3])!;
            Assert.Equal(1003, item.Size);
            Assert.False(item.Deleted);
            Assert.True(s.Verify().IsHealthy);
        }
        // Capacity 4: two sealed segments of 4 and an open one of 2, each a plain .npy numpy can load.
        var seg = NpyFile.Read(SegmentPath("seg-000001.npy"));
        Assert.Equal([4L, (long)Dim], seg.Shape);
        Assert.Equal(Vec(1), seg.Row<float>(1).ToArray());
        Assert.Equal([2L, (long)Dim], NpyFile.ReadHeader(SegmentPath("seg-000003.npy")).Shape);
    }

    [Fact]
    public void Streaming_read_respects_batch_size()
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 16));
        s.Add(Items(0, 40));
        var batches = s.ReadLive(maxRows: 5).ToList();
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 5));
        Assert.Equal(40, batches.Sum(b => b.Count));
        Assert.Equal(Vec(39), batches[^1].ToFloat32().AsSpan((batches[^1].Count - 1) * Dim).ToArray());
    }

    [Fact]
    public void Resume_skips_items_already_in_and_never_duplicates()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var first = s.Add(Items(0, 6));
        Assert.True(s.Contains("img/0002.jpg", Item(2).ContentHash));
        Assert.False(s.Contains("img/0002.jpg", Item(2, content: "other").ContentHash));
        var again = s.Add(Items(0, 9)); // overlapping re-run
        Assert.Equal(first, again[..6]);
        Assert.Equal(9, s.Count);
        Assert.Equal(9, s.ReadAll().Ids.Distinct().Count());
        // The same path twice in one batch gets one id.
        var dup = s.Add([Item(20), Item(20)]);
        Assert.Equal(dup[0], dup[1]);
        Assert.Throws<ArgumentException>(() => s.Add([Item(30), Item(30, content: "changed")]));
    }

    [Fact]
    public void Changed_content_replaces_the_old_item()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        long old = s.Add(Item(1));
        long neu = s.Add(Item(1, content: "edited"));
        Assert.NotEqual(old, neu);
        Assert.True(s.Get(old)!.Deleted);
        Assert.Equal(neu, s.Get("img/0001.jpg")!.Id);
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void Labels_are_kept_and_must_be_json_objects()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        long id = s.Add(Item(1, labels: """{"class":"cat","score":0.9}"""));
        Assert.Equal("""{"class":"cat","score":0.9}""", s.Get(id)!.LabelsJson);
        Assert.Throws<ArgumentException>(() => s.Add(Item(2, labels: "not json")));
        Assert.Throws<ArgumentException>(() => s.Add(Item(3, labels: "[1,2]")));
    }

    [Fact]
    public void Bad_inputs_are_rejected_before_anything_is_written()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        Assert.Throws<ArgumentException>(() => s.Add(new ItemToAdd("a.jpg", Item(0).ContentHash, 1, new float[Dim + 1])));
        Assert.Throws<ArgumentException>(() => s.Add(new ItemToAdd("a.jpg", "xyz", 1, new float[Dim])));
        Assert.Equal(0, s.Count);
        Assert.Throws<IOException>(() => IndexStore.Create(IndexDir, Meta()));
    }

    [Fact]
    public void Float16_storage_round_trips_and_is_numpy_readable()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(NpyDType.Float16, capacity: 100)))
        {
            s.Add(Items(0, 5));
            Assert.Equal(Vec(4), s.ReadAll().Vector(4).ToArray());
        }
        var a = NpyFile.Read(SegmentPath("seg-000001.npy"));
        Assert.Equal(NpyDType.Float16, a.DType);
        Assert.Equal([5L, (long)Dim], a.Shape);
    }

    [Theory]
    [InlineData("UPDATE meta SET value='99' WHERE key='format_version'", "newer than this build")]
    [InlineData("DELETE FROM meta WHERE key='dim'", "meta 'dim' is missing")]
    public void Index_from_a_newer_build_or_an_unfinished_create_is_refused(string sql, string why)
    {
        IndexStore.Create(IndexDir, Meta()).Dispose();
        using (var c = new SqliteConnection($"Data Source={Path.Combine(IndexDir, "catalog.sqlite")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        var ex = Assert.Throws<StoreCorruptException>(() => IndexStore.Open(IndexDir));
        Assert.Contains(why, ex.Message);
        Assert.Contains("catalog.sqlite", ex.Message);
    }

    [Fact]
    public void Opening_a_folder_without_an_index_says_so()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => IndexStore.Open(Root));
        Assert.Contains("no index at", ex.Message);
    }

    [Fact]
    public void Second_open_of_the_same_folder_is_refused_while_the_first_holds_it()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var ex = Assert.Throws<IOException>(() => IndexStore.Open(IndexDir));
        Assert.Contains("open in another process", ex.Message);
    }
}
