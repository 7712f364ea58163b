// The product commands run in-process against a real index: query in every format (html sheet included),
// eval against a truth file, embed to .npy. Uses the shared MobileNetV2-0.35 and shared photos.
using System.Text.Json;
using GpuSearch.Cli.Commands;
using GpuSearch.Imaging;
using GpuSearch.Store;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Cli;

[Trait("Backend", "OpenCL")]
public sealed class ProductCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-cli-" + Guid.NewGuid().ToString("N"));

    private async Task<(string Db, string Images)> BuildIndexAsync()
    {
        var images = EngineTests.MakeImageFolder(_dir);
        var db = Path.Combine(_dir, "db");
        var opts = EngineTests.Options(SharedData.Find(EngineTests.Model, out _)!);
        var sw = new StringWriter();
        Assert.Equal(0, await IndexCommand.RunAsync([images], opts, db, null, json: true, sw, default));
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var summary = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal("summary", summary.GetProperty("event").GetString());
        Assert.Equal(EngineTests.Photos.Length, summary.GetProperty("added").GetInt32());
        Assert.Equal(2, summary.GetProperty("failed").GetInt32());
        // The failures file lists the corrupt files with reasons.
        var failures = File.ReadAllLines(Path.Combine(db, "index-failures.csv"));
        Assert.Equal("path,reason,message", failures[0]);
        Assert.Contains(failures, l => l.Contains("broken.jpg") && l.Contains(",Truncated,"));
        Assert.Contains(failures, l => l.Contains("noise.png"));
        return (db, images);
    }

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task QueryFormatsAgree()
    {
        var (db, images) = await BuildIndexAsync();
        var q = Path.Combine(images, "testorig.jpg");
        var opts = new EngineOptions { Device = "cpu", CreateIfMissing = false };

        var json = new StringWriter();
        Assert.Equal(0, await QueryCommand.RunAsync([q, Path.Combine(images, "broken.jpg")], db, 3, "json", null, opts, json, default));
        var arr = JsonDocument.Parse(json.ToString()).RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, arr.Length);
        var hits = arr[0].GetProperty("hits").EnumerateArray().ToArray();
        Assert.Equal(3, hits.Length);
        Assert.Equal(Path.GetFullPath(q), hits[0].GetProperty("path").GetString());
        Assert.InRange(hits[0].GetProperty("score").GetSingle(), 0.999f, 1.001f);
        Assert.Equal("Truncated", arr[1].GetProperty("error").GetProperty("reason").GetString());

        var csv = new StringWriter();
        Assert.Equal(0, await QueryCommand.RunAsync([q], db, 3, "csv", null, opts, csv, default));
        var rows = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, rows.Length);
        Assert.StartsWith($"{Path.GetFullPath(q)},1,{hits[0].GetProperty("id").GetInt64()},", rows[1]);

        var html = Path.Combine(_dir, "sheet.html");
        Assert.Equal(0, await QueryCommand.RunAsync([images], db, 4, "html", html, opts, new StringWriter(), default));
        var page = File.ReadAllText(html);
        Assert.Equal(EngineTests.Photos.Length + 2, page.Split("class=\"row\"").Length - 1); // one row per query file, failures too
        // Each distinct image's JPEG thumbnail is embedded once; every cell (query + 4 neighbours each) refers to one.
        int embedded = page.Split("data:image/jpeg;base64,").Length - 1;
        Assert.InRange(embedded, EngineTests.Photos.Length, EngineTests.Photos.Length + 2);
        Assert.True(page.Split("class=\"th t").Length - 1 >= EngineTests.Photos.Length * 5);

        var table = new StringWriter();
        Assert.Equal(0, await QueryCommand.RunAsync([q], db, 2, "table", null, opts, table, default));
        Assert.Contains("testorig.jpg", table.ToString());
    }

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task EvalFindsCropsOfIndexedPhotos()
    {
        var (db, images) = await BuildIndexAsync();
        // Queries: two crops of each photo (not indexed); truth: each crop's original, relative to the gallery root.
        var queries = Path.Combine(_dir, "queries");
        VariantImages.Write(queries, 2);
        var truth = Path.Combine(_dir, "truth.csv");
        File.WriteAllLines(truth, ["query,relevant", .. Directory.GetFiles(queries).Select(f =>
            $"{Path.GetFileName(f)},{Path.GetRelativePath(images, Directory.GetFiles(images, Path.GetFileName(EngineTests.Photos.Single(p => Path.GetFileName(f).StartsWith(Path.GetFileNameWithoutExtension(p) + "-v"))), SearchOption.AllDirectories).Single())}")]);
        var sw = new StringWriter();
        Assert.Equal(0, await EvalCommand.RunAsync(db, [queries], truth, 5, "cpu", json: true, sw, default));
        var r = JsonDocument.Parse(sw.ToString()).RootElement;
        Assert.Equal(EngineTests.Photos.Length * 2, r.GetProperty("queries").GetInt32());
        Assert.Equal(EngineTests.Photos.Length * 2, r.GetProperty("queries_with_truth").GetInt32());
        Assert.Equal(0, r.GetProperty("truth_rows_without_item").GetInt32());
        Assert.Equal(0, r.GetProperty("truth_rows_without_query").GetInt32());
        // A crop of 80% finds its own photo among the 5 most similar of 8 for most queries.
        Assert.True(r.GetProperty("hit_rate").GetProperty("5").GetDouble() >= 0.75, sw.ToString());
        Assert.InRange(r.GetProperty("map").GetDouble(), 0.3, 1.0);
        Assert.InRange(r.GetProperty("micro_ap").GetDouble(), 0.0, 1.0);
    }

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task EmbedWritesNumpyRowsThatMatchTheIndex()
    {
        var (db, images) = await BuildIndexAsync();
        var outFile = Path.Combine(_dir, "emb.npy");
        var model = SharedData.Find(EngineTests.Model, out _)!;
        Assert.Equal(0, await EmbedCommand.RunAsync([images], outFile, model, PreprocessPresets.KerasMobileNet, null, 4, 2, "cpu", default));
        var arr = NpyFile.Read(outFile);
        Assert.Equal([EngineTests.Photos.Length, 1280L], arr.Shape.ToArray());
        var paths = File.ReadAllLines(Path.Combine(_dir, "emb.paths.txt"));
        Assert.Equal(EngineTests.Photos.Length, paths.Length);
        using var store = IndexStore.OpenReadOnly(db);
        var all = store.ReadAll();
        for (int i = 0; i < paths.Length; i++)
        {
            var row = arr.Row<float>(i).ToArray();
            var j = Array.IndexOf(all.Paths, paths[i]);
            Assert.True(j >= 0, $"{paths[i]} not in the index");
            Assert.Equal(all.Vector(j).ToArray(), row); // same model, same device: identical embeddings
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
