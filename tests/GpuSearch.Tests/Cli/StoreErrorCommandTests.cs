// `gpusearch` as a real child process against damaged, read-only and full indexes: every failure is one
// `error: ...` line naming the file, exit 1, no stack trace; a query never changes the index; a read-only
// medium can be queried. The full disk is a real tiny tmpfs and the read-only medium a real read-only bind
// mount (tests run as root, where chmod does not stop writes); both skip with the reason where mounts are not allowed.
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Cli.Commands;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Store;
using GpuSearch.Tests.Support;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Cli;

/// <summary>Builds one small real index for the class; each test damages its own copy.</summary>
public sealed class PristineIndex : IDisposable
{
    public PristineIndex()
    {
        Dir = Path.Combine(Path.GetTempPath(), "gpusearch-storeerr-" + Guid.NewGuid().ToString("N"));
        if (SharedData.Find(EngineTests.Model, out _) is not { } model) return; // the tests skip
        Model = model;
        Images = EngineTests.MakeImageFolder(Dir);
        Db = Path.Combine(Dir, "db");
        var code = IndexCommand.RunAsync([Images], EngineTests.Options(model), Db, null, json: true, TextWriter.Null, default).GetAwaiter().GetResult();
        if (code != 0) throw new InvalidOperationException($"building the test index exited {code}");
    }

    public string Dir { get; }
    public string Model { get; } = "";
    public string Images { get; } = "";
    public string Db { get; } = "";

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

internal sealed class SharedMountFactAttribute : FactAttribute
{
    public SharedMountFactAttribute()
    {
        if (SharedData.Find(EngineTests.Model, out var why) is null) Skip = why;
        else if (TestMount.Unavailable is { } noMount) Skip = noMount;
    }
}

[Trait("Backend", "OpenCL")]
public sealed class StoreErrorCommandTests(PristineIndex pristine) : IClassFixture<PristineIndex>
{
    private const string Shared = EngineTests.Model;

    private string CopyDb()
    {
        var dst = Path.Combine(pristine.Dir, "copy-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var f in Directory.EnumerateFiles(pristine.Db, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dst, Path.GetRelativePath(pristine.Db, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        return dst;
    }

    /// <summary>Every file's bytes, except SQLite's shared-memory index and an empty WAL, which any SQLite reader of a WAL database creates.</summary>
    private static Dictionary<string, byte[]> Snapshot(string db) =>
        Directory.EnumerateFiles(db, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("catalog.sqlite-shm", StringComparison.Ordinal) && !(f.EndsWith("catalog.sqlite-wal", StringComparison.Ordinal) && new FileInfo(f).Length == 0))
            .ToDictionary(f => Path.GetRelativePath(db, f), File.ReadAllBytes);

    internal static (int Exit, string Out, string Err) Gpusearch(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gpusearch.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GPUSEARCH_DEBUG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException($"gpusearch {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private (int Exit, string Out, string Err) Query(string db) =>
        Gpusearch("query", Path.Combine(pristine.Images, "testorig.jpg"), "--db", db, "-k", "3", "--device", "cpu", "--format", "json");

    /// <summary>Exit 1 and exactly one stderr line, `error: ...`, containing every expected fragment; no stack trace.</summary>
    private static void AssertOneLineError((int Exit, string Out, string Err) r, params string[] expected)
    {
        Assert.True(r.Exit == 1, $"exit {r.Exit}; stderr: {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Unhandled exception", r.Err);
        foreach (var e in expected) Assert.Contains(e, error);
    }

    [SharedFact(Shared)]
    public void Query_of_a_healthy_copy_works()
    {
        var r = Query(CopyDb());
        Assert.True(r.Exit == 0, r.Err);
        Assert.EndsWith("testorig.jpg", JsonDocument.Parse(r.Out).RootElement[0].GetProperty("hits")[0].GetProperty("path").GetString());
    }

    [SharedFact(Shared)]
    public void Query_with_a_damaged_catalog_page_is_one_error_line_naming_the_catalog()
    {
        var db = CopyDb();
        var cat = Path.Combine(db, "catalog.sqlite");
        var bytes = File.ReadAllBytes(cat);
        for (int k = bytes.Length / 4; k < bytes.Length * 3 / 4; k++) bytes[k] = (byte)(k * 131 + 7); // the middle of the file
        File.WriteAllBytes(cat, bytes);
        AssertOneLineError(Query(db), cat);
    }

    [SharedFact(Shared)]
    public void Query_with_flipped_vector_bits_is_refused_naming_the_segment_and_changes_nothing()
    {
        var db = CopyDb();
        var seg = Path.Combine(db, "segments", "seg-000001.npy");
        var bytes = File.ReadAllBytes(seg);
        var rng = new Random(4);
        for (int i = 0; i < 2000; i++) bytes[128 + rng.Next(bytes.Length - 128)] ^= (byte)(1 << rng.Next(8));
        File.WriteAllBytes(seg, bytes);
        var before = Snapshot(db);
        AssertOneLineError(Query(db), seg, "SHA-256");
        Assert.Equal(before, Snapshot(db));
    }

    [SharedFact(Shared)]
    public void Query_with_a_decremented_row_count_is_refused_and_deletes_nothing()
    {
        var db = CopyDb();
        using (var c = new SqliteConnection($"Data Source={Path.Combine(db, "catalog.sqlite")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE segments SET rows = rows - 5, byte_length = byte_length WHERE id = 1";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        var before = Snapshot(db);
        AssertOneLineError(Query(db), "catalog.sqlite", "seg-000001.npy");
        Assert.Equal(before, Snapshot(db)); // the old behaviour cut 5 live vectors off and answered anyway
        Assert.False(Directory.Exists(Path.Combine(db, "quarantine")));
    }

    [SharedMountFact]
    public void Query_works_on_a_read_only_medium_and_index_names_the_real_cause()
    {
        var db = CopyDb();
        using var ro = TestMount.ReadOnlyView(db);
        var r = Query(ro.Path);
        Assert.True(r.Exit == 0, r.Err);
        Assert.EndsWith("testorig.jpg", JsonDocument.Parse(r.Out).RootElement[0].GetProperty("hits")[0].GetProperty("path").GetString());
        var add = Gpusearch("index", pristine.Images, "--db", ro.Path, "--device", "cpu", "--json");
        AssertOneLineError(add, "Read-only file system");
        Assert.DoesNotContain("another process", add.Err);
    }

    [SharedMountFact]
    public void Index_onto_a_full_disk_is_one_error_line_and_keeps_what_it_reported()
    {
        var images = Path.Combine(pristine.Dir, "many-" + Guid.NewGuid().ToString("N")[..8]);
        VariantImages.Write(images, 12); // 96 images: far more vectors than the tmpfs holds
        using var disk = TestMount.Tmpfs(Path.Combine(pristine.Dir, "full-" + Guid.NewGuid().ToString("N")[..8]), 192 * 1024);
        var db = Path.Combine(disk.Path, "db");
        var r = Gpusearch("index", images, "--db", db, "--model", pristine.Model, "--preprocess", "keras-mobilenet",
            "--batch", "4", "--workers", "1", "--device", "cpu", "--json");
        AssertOneLineError(r);
        Assert.Matches("(No space left on device|disk is full)", r.Err);
        var reported = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("{\"event\":\"added\"", StringComparison.Ordinal))
            .SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)).ToList();
        if (!File.Exists(Path.Combine(db, "catalog.sqlite"))) { Assert.Empty(reported); return; }
        using var store = GpuSearch.Store.IndexStore.OpenReadOnly(db);
        var stored = store.ReadAll().Paths.ToHashSet();
        Assert.All(reported, p => Assert.Contains(p, stored));
    }
}
