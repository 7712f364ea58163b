// Kills `gpusearch index --json` (a real child process, SIGKILL) at seeded random points over several cycles,
// until five have died mid-run, then checks: every item the child reported added is present exactly once with the vector a clean run
// computes, the index opens and searches, and a final run completes the set without duplicates.
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Store;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Cli;

[Trait("Backend", "OpenCL")]
public sealed class IndexKillTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-kill-" + Guid.NewGuid().ToString("N"));

    private (Process Process, List<(long Id, string Path)> Added) Start(string images, string db, string model)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "gpusearch.dll"), "index", images, "--db", db, "--model", model,
                     "--preprocess", "keras-mobilenet", "--batch", "3", "--workers", "1", "--device", "cpu", "--json" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var added = new List<(long, string)>();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || !e.Data.StartsWith("{\"event\":\"added\"", StringComparison.Ordinal)) return;
            using var doc = JsonDocument.Parse(e.Data);
            var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var paths = doc.RootElement.GetProperty("paths").EnumerateArray().Select(x => x.GetString()!).ToArray();
            lock (added) for (int i = 0; i < ids.Length; i++) added.Add((ids[i], paths[i]));
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine($"child: {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return (p, added);
    }

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task KilledIndexerLosesNothingReportedAndResumesWithoutDuplicates()
    {
        var images = Path.Combine(_dir, "images");
        // 320 distinct images: enough that one cycle which outruns its kill on a loaded machine (seen: 123 items
        // committed before the test thread looked) does not leave nothing for the later cycles to interrupt.
        var files = VariantImages.Write(images, 40);
        var model = SharedData.Find(EngineTests.Model, out _)!;
        var db = Path.Combine(_dir, "db");
        var reported = new List<(long Id, string Path)>();
        var rng = new Random(20261122);
        int kills = 0;
        for (int cycle = 0; cycle < 12 && kills < 5; cycle++)
        {
            var (p, added) = Start(images, db, model);
            // Kill points (seeded): half the cycles die at a random time during start-up or the first batches,
            // the others once a random few items have been reported. Counts, not delays, bound how far a cycle
            // gets: the small model indexes a few hundred images a second, so a delay after the first report
            // could let it finish the whole set.
            var clock = Stopwatch.StartNew();
            bool afterCommit = cycle % 2 == 1;
            var at = TimeSpan.FromMilliseconds(rng.Next(300, 2500));
            int killAt = rng.Next(1, 10);
            while (clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
            {
                int n;
                lock (added) n = added.Count;
                // Never let one cycle run far: a crash test that lets the indexer finish tests nothing.
                if (afterCommit ? n >= killAt : clock.Elapsed >= at || n >= 6) break;
                await Task.Delay(2);
            }
            if (!p.HasExited) { p.Kill(entireProcessTree: true); kills++; }
            await p.WaitForExitAsync();
            p.WaitForExit(); // flush the output readers
            lock (added) reported.AddRange(added);
            log.WriteLine($"cycle {cycle}: reported {added.Count}, exit {(p.ExitCode == 137 || p.ExitCode == -1 ? "killed" : p.ExitCode.ToString())}");
            p.Dispose();
        }
        Assert.True(kills >= 5, $"only {kills} runs were killed mid-way; the test did not exercise crashes");

        // Everything reported so far is present exactly once, with the reported id.
        using (var store = IndexStore.Open(db))
        {
            Assert.True(store.Verify().IsHealthy, string.Join("; ", store.Verify().Issues));
            foreach (var (id, path) in reported)
                Assert.Equal(id, store.Get(path)?.Id);
            Assert.Equal(reported.Count, reported.Select(r => r.Path).Distinct().Count()); // never reported twice
        }

        // A final run completes the set without duplicates.
        var (last, lastAdded) = Start(images, db, model);
        await last.WaitForExitAsync();
        last.WaitForExit();
        Assert.Equal(0, last.ExitCode);
        lock (lastAdded) Assert.DoesNotContain(lastAdded, a => reported.Any(r => r.Path == a.Path));
        last.Dispose();

        // Vectors equal a clean, uninterrupted run's.
        var clean = Path.Combine(_dir, "clean");
        using (var e = ImageSearchEngine.Open(clean, EngineTests.Options(model))) await e.AddImagesAsync([images]);
        using var crashed = IndexStore.OpenReadOnly(db);
        using var reference = IndexStore.OpenReadOnly(clean);
        var a = crashed.ReadAll();
        var b = reference.ReadAll();
        Assert.Equal(files.Count, a.Ids.Length);
        Assert.Equal(files.Count, a.Paths.Distinct().Count());
        double maxDiff = 0;
        for (int i = 0; i < a.Ids.Length; i++)
        {
            var j = Array.IndexOf(b.Paths, a.Paths[i]);
            var va = a.Vector(i);
            var vb = b.Vector(j);
            for (int d = 0; d < va.Length; d++) maxDiff = Math.Max(maxDiff, Math.Abs(va[d] - vb[d]));
        }
        log.WriteLine($"max |vector difference| crashed vs clean run: {maxDiff:G3}");
        Assert.True(maxDiff <= 1e-6, $"vectors differ from a clean run by {maxDiff}");

        // The index opens and searches: each image finds itself first.
        using var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false });
        foreach (var f in files.Take(6)) Assert.Equal(Path.GetFullPath(f), engine.Search(f, 1)[0].Path);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
