// The index maintenance commands, in-process on small store-built indexes (no model needed): verify reports and
// exits 1 on damage without changing anything, repair quarantines (never deletes) and leaves a healthy index,
// compact drops deleted rows, prune drops entries whose files are gone (and --dry-run changes nothing).
using System.Text;
using System.Text.Json;
using GpuSearch.Cli.Commands;
using GpuSearch.Store;
using GpuSearch.Tests.Store;

namespace GpuSearch.Tests.Cli;

public class StoreCommandTests : StoreTestBase
{
    private long[] Build(int count = 10)
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 4));
        var ids = new List<long>();
        for (int i = 0; i < count; i += 2) ids.AddRange(s.Add(Items(i, 2)));
        return ids.ToArray();
    }

    private static JsonElement Json(Func<TextWriter, int> run, int expectedExit)
    {
        var sw = new StringWriter();
        Assert.Equal(expectedExit, run(sw));
        return JsonDocument.Parse(sw.ToString()).RootElement.Clone();
    }

    [Fact]
    public void Verify_reports_damage_with_exit_1_and_changes_nothing_then_repair_quarantines_and_heals()
    {
        Build();
        Assert.True(Json(w => VerifyCommand.Run(IndexDir, json: true, w), 0).GetProperty("healthy").GetBoolean());
        var seg = SegmentPath("seg-000002.npy"); // items 4..7 in chunks [4,5] and [6,7]
        var bytes = File.ReadAllBytes(seg);
        bytes[128 + 3] ^= 0x10;
        File.WriteAllBytes(seg, bytes);

        var report = Json(w => VerifyCommand.Run(IndexDir, json: true, w), 1);
        Assert.False(report.GetProperty("healthy").GetBoolean());
        var issue = report.GetProperty("issues").EnumerateArray().Single(i => i.GetProperty("severity").GetString() == "error");
        Assert.Equal("seg-000002.npy", issue.GetProperty("subject").GetString());
        Assert.Equal(["img/0004.jpg", "img/0005.jpg"], issue.GetProperty("affected_paths").EnumerateArray().Select(p => p.GetString()!));
        var human = new StringWriter();
        Assert.Equal(1, VerifyCommand.Run(IndexDir, json: false, human));
        Assert.Contains("DAMAGED", human.ToString());
        Assert.Equal(bytes, File.ReadAllBytes(seg)); // verify wrote nothing
        Assert.False(Directory.Exists(Path.Combine(IndexDir, "quarantine")));

        var repair = Json(w => RepairCommand.Run(IndexDir, json: true, w), 0);
        Assert.True(repair.GetProperty("healthy").GetBoolean());
        Assert.Equal(["img/0004.jpg", "img/0005.jpg"], repair.GetProperty("paths_to_re_add").EnumerateArray().Select(p => p.GetString()!));
        var quarantine = repair.GetProperty("quarantine").GetString()!;
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(quarantine, "seg-000002.npy"))); // moved, not deleted
        Assert.Contains("img/0005.jpg", File.ReadAllText(Path.Combine(quarantine, "README.txt")));
        Assert.Equal(0, VerifyCommand.Run(IndexDir, json: false, new StringWriter()));
        using var s = IndexStore.OpenReadOnly(IndexDir);
        Assert.Equal(8, s.ReadAll().Ids.Length);
    }

    [Fact]
    public void Verify_flags_a_decremented_row_count_and_repair_restores_it_keeping_every_item()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100))) s.Add(Items(0, 10));
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(IndexDir, "catalog.sqlite")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE segments SET rows = 4 WHERE id = 1";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        var human = new StringWriter();
        Assert.Equal(1, VerifyCommand.Run(IndexDir, json: false, human));
        Assert.Contains("records 4 committed rows", human.ToString());
        Assert.Contains("`gpusearch repair` restores it", human.ToString());
        Assert.DoesNotContain("are lost", human.ToString());

        var repair = Json(w => RepairCommand.Run(IndexDir, json: true, w), 0);
        Assert.Contains(repair.GetProperty("recovered").EnumerateArray(), l => l.GetString()!.Contains("restored the count to 10"));
        Assert.Equal(0, repair.GetProperty("dropped_ids").GetArrayLength());
        using var ro = IndexStore.OpenReadOnly(IndexDir);
        Assert.Equal(10, ro.ReadAll().Ids.Length);
    }

    [Fact]
    public void Compact_drops_deleted_rows()
    {
        var ids = Build();
        using (var s = IndexStore.Open(IndexDir)) { s.Delete(ids[1]); s.Delete(ids[8]); }
        var r = Json(w => CompactCommand.Run(IndexDir, json: true, w), 0);
        Assert.Equal(2, r.GetProperty("segments_rewritten").GetInt32());
        Assert.Equal(2, r.GetProperty("items_removed").GetInt64());
        Assert.True(r.GetProperty("bytes_reclaimed").GetInt64() >= 2 * Dim * 4);
        using var ro = IndexStore.OpenReadOnly(IndexDir);
        Assert.Equal(ids.Where((_, i) => i is not (1 or 8)), ro.ReadAll().Ids.Order());
    }

    [Fact]
    public void Prune_drops_entries_whose_files_are_gone_and_dry_run_changes_nothing()
    {
        var photos = Path.Combine(Root, "photos");
        Directory.CreateDirectory(photos);
        var files = Enumerable.Range(0, 5).Select(i => Path.Combine(photos, $"p{i}.jpg")).ToList();
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 4)))
        {
            foreach (var f in files) File.WriteAllText(f, f);
            s.Add(files.Select((f, i) => new ItemToAdd(f, ContentHash.Of(Encoding.UTF8.GetBytes(f)), 10, Vec(i))).ToList());
            s.Add(Item(99)); // a relative path: never judged missing
        }
        File.Delete(files[1]);
        File.Delete(files[3]);

        var dry = Json(w => PruneCommand.Run(IndexDir, dryRun: true, json: true, w), 0);
        Assert.Equal([files[1], files[3]], dry.GetProperty("missing").EnumerateArray().Select(m => m.GetProperty("path").GetString()!));
        Assert.Equal(6, dry.GetProperty("live_items").GetInt64());

        var real = Json(w => PruneCommand.Run(IndexDir, dryRun: false, json: true, w), 0);
        Assert.Equal(2, real.GetProperty("missing").GetArrayLength());
        Assert.Equal(4, real.GetProperty("live_items").GetInt64());
        Assert.Equal(0, Json(w => PruneCommand.Run(IndexDir, dryRun: true, json: true, w), 0).GetProperty("missing").GetArrayLength());
        using var ro = IndexStore.OpenReadOnly(IndexDir);
        Assert.DoesNotContain(files[1], ro.ReadAll().Paths);
        Assert.Contains("img/0099.jpg", ro.ReadAll().Paths);
    }

    [Fact]
    public void Commands_refuse_a_folder_without_an_index_before_touching_it()
    {
        Directory.CreateDirectory(IndexDir);
        foreach (var run in new Action[]
                 {
                     () => VerifyCommand.Run(IndexDir, false, TextWriter.Null), () => RepairCommand.Run(IndexDir, false, TextWriter.Null),
                     () => CompactCommand.Run(IndexDir, false, TextWriter.Null), () => PruneCommand.Run(IndexDir, false, false, TextWriter.Null),
                 })
            Assert.Contains("no index at", Assert.Throws<FileNotFoundException>(run).Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(IndexDir));
    }
}
