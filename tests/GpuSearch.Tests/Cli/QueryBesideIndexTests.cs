// `gpusearch query` beside a running `gpusearch index` on the same folder (issue 13): the indexer holds the index's
// LOCK and keeps committing batches; the query opens the folder read-only, needs no lock, and sees what was committed.
// Both are real child processes; the indexer embeds with a large model so it is still running when the query ends.
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Imaging;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Cli;

[Trait("Backend", "OpenCL")]
public sealed class QueryBesideIndexTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-query-beside-" + Guid.NewGuid().ToString("N"));

    private Process Start(IEnumerable<string> args, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gpusearch.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine?.Invoke(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine($"{Path.GetFileName(psi.ArgumentList[1])}: {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [SharedFact(EngineSearchDuringAddTests.SlowModel, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task Query_succeeds_while_index_runs_on_the_same_folder()
    {
        var images = Path.Combine(_dir, "images");
        // 288 images: far more than the indexer gets through before it is stopped, even with a cold kernel cache that makes
        // the query compile its own kernels first (96 were not enough once the CPU conv got 2-3x faster).
        var files = VariantImages.Write(images, 36);
        var model = SharedData.Find(EngineSearchDuringAddTests.SlowModel, out _)!;
        var spec = Path.Combine(_dir, "inception.preprocess.json");
        File.WriteAllText(spec, PreprocessSpecJson.Write(EngineSearchDuringAddTests.SlowOptions(model, 1).Preprocess!));
        var db = Path.Combine(_dir, "db");
        // Warm the kernel cache with what the query will run (batch-1 forward, scan) on a one-image index first: with a
        // cold cache the query's own compiles took longer than the whole indexing run once the CPU kernels got faster.
        var warm = Path.Combine(_dir, "warm");
        Directory.CreateDirectory(warm);
        File.Copy(files[0], Path.Combine(warm, Path.GetFileName(files[0])));
        foreach (var args in new[]
        {
            new[] { "index", warm, "--db", Path.Combine(_dir, "warmdb"), "--model", model, "--preprocess", spec, "--output-name", "embedding", "--batch", "1", "--device", "cpu" },
            ["query", Path.Combine(warm, Path.GetFileName(files[0])), "--db", Path.Combine(_dir, "warmdb"), "-k", "1", "--device", "cpu"],
        })
        {
            using var p = Start(args);
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, $"warm-up {args[0]} failed with exit {p.ExitCode}");
        }
        var added = new List<string>();
        using var indexer = Start(["index", images, "--db", db, "--model", model, "--preprocess", spec, "--output-name", "embedding",
            "--batch", "4", "--workers", "1", "--device", "cpu", "--json"], line =>
        {
            if (!line.StartsWith("{\"event\":\"added\"", StringComparison.Ordinal)) return;
            using var doc = JsonDocument.Parse(line);
            lock (added) added.AddRange(doc.RootElement.GetProperty("paths").EnumerateArray().Select(x => x.GetString()!));
        });
        try
        {
            var clock = Stopwatch.StartNew();
            while (!indexer.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                lock (added) if (added.Count > 0) break;
                await Task.Delay(50);
            }
            Assert.False(indexer.HasExited, $"the indexer ended (exit {(indexer.HasExited ? indexer.ExitCode : 0)}) before committing a batch");
            string first;
            lock (added) first = added[0];

            // No --read-only flag: a query opens the index read-only by itself, so the indexer's lock does not stop it.
            var output = new List<string>();
            using var query = Start(["query", first, "--db", db, "-k", "3", "--format", "json", "--device", "cpu"], line => { lock (output) output.Add(line); });
            await query.WaitForExitAsync();
            query.WaitForExit(); // flush the readers
            Assert.False(indexer.HasExited, "the indexer finished before the query did; the query did not run beside it");
            Assert.Equal(0, query.ExitCode);
            string json;
            lock (output) json = string.Join("\n", output);
            using var doc = JsonDocument.Parse(json);
            var hits = doc.RootElement[0].GetProperty("hits");
            Assert.True(hits.GetArrayLength() >= 1, json);
            // It sees the committed batch: the query image itself is the top hit.
            Assert.Equal(Path.GetFullPath(first), hits[0].GetProperty("path").GetString());
            log.WriteLine($"query answered with {hits.GetArrayLength()} hits while the indexer had reported {added.Count} of {files.Count}");
        }
        finally
        {
            if (!indexer.HasExited) indexer.Kill(entireProcessTree: true);
            await indexer.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
