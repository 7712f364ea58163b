// Multi-backbone ensembles and named embedding spaces, on two tiny models generated here (different input sizes,
// preprocessing and widths): the ensemble row equals a scalar reference built from each model alone, the index
// remembers and fingerprints its spaces, and a per-query space weighting scores exactly Σu·cos / Σu.
using System.Net.Http.Json;
using GpuSearch.Dedup;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Store;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class EnsembleTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>Conv 3×3 → ReLU → global average pool → [N, width]; input side differs per model.</summary>
    private string Model(string name, int side, int width, int seed)
    {
        var path = Path.Combine(_dir.Path, name + ".onnx");
        new OnnxTestWriter().Input("x", "N", 3, side, side).Output("y").Init("w", [width, 3, 3, 3], Random(width * 27, seed))
            .Init("b", [width], Random(width, seed + 1))
            .Node("Conv", ["x", "w", "b"], ["c"], attrs: A(("pads", new long[] { 1, 1, 1, 1 }))).Node("Relu", ["c"], ["r"])
            .Node("GlobalAveragePool", ["r"], ["p"]).Node("Flatten", ["p"], ["y"]).Save(path);
        return path;
    }

    private static PreprocessSpec Exact(int side, double mean) => new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = side, Height = side }, Scale = 1 / 255.0, Mean = ChannelValues.All(mean),
    };

    private static DecodedImage Image(int k)
    {
        int w = 30 + 7 * k, h = 24 + 3 * k;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    px[(y * w + x) * 3 + c] = (byte)((x * (k + 1) * (c + 2) + y * (5 - c) * (k + 3) + (x > w / 2 ? 90 * c : 0)) % 256);
        return new DecodedImage(w, h, px, w, h, ImageFormat.Png);
    }

    private (EmbeddingSpace A, EmbeddingSpace B) Spaces(float wa = 1, float wb = 3) =>
        (new EmbeddingSpace(Model("a", 8, 4, 11), wa, "shape", Exact(8, 0.5)), new EmbeddingSpace(Model("b", 12, 6, 23), wb, "color", Exact(12, 0.3)));

    private static float[] Single(EmbeddingSpace s, DecodedImage[] images, bool flipTta = false)
    {
        using var e = new ImageEmbedder(Devices.Cpu, s.ModelPath, s.Preprocess!, null, 2, flipTta: flipTta);
        var v = new float[images.Length * e.Dimension];
        e.Embed(images, v);
        return v;
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnsembleRowsAreTheWeightedConcatenationOfEachModelsUnitEmbedding(bool flipTta)
    {
        var (a, b) = Spaces();
        var images = Enumerable.Range(0, 3).Select(Image).ToArray();
        var va = Single(a, images, flipTta);
        var vb = Single(b, images, flipTta);
        using var ens = new ImageEmbedder(Devices.Cpu, [a, b], 2, null, flipTta);
        Assert.Equal(10, ens.Dimension);
        var got = new float[3 * 10];
        ens.Embed(images, got); // 3 images in batches of 2: the second batch holds one
        double sa = Math.Sqrt(1 / 4.0), sb = Math.Sqrt(3 / 4.0);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 4; j++) Assert.True(Math.Abs(sa * va[i * 4 + j] - got[i * 10 + j]) < 1e-6, $"image {i} shape dim {j}");
            for (int j = 0; j < 6; j++) Assert.True(Math.Abs(sb * vb[i * 6 + j] - got[i * 10 + 4 + j]) < 1e-6, $"image {i} color dim {j}");
            Assert.Equal(1.0, Dot(got.AsSpan(i * 10, 10), got.AsSpan(i * 10, 10)), 5);
        }
        // cosine of two ensemble rows = (1·cos_a + 3·cos_b) / 4
        double cosA = Dot(va.AsSpan(0, 4), va.AsSpan(4, 4)), cosB = Dot(vb.AsSpan(0, 6), vb.AsSpan(6, 6));
        Assert.Equal((cosA + 3 * cosB) / 4, Dot(got.AsSpan(0, 10), got.AsSpan(10, 10)), 5);
        Assert.True(Math.Abs(cosA - cosB) > 1e-3, "the two models should disagree, or the weighting checks nothing");
    }

    [Fact]
    public async Task IndexKeepsItsSpacesRefusesOtherWeightsAndSearchesBySpace()
    {
        var (a, b) = Spaces();
        var folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "images")).FullName;
        var images = Enumerable.Range(0, 4).Select(Image).ToArray();
        for (int k = 0; k < images.Length; k++)
            File.WriteAllBytes(Path.Combine(folder, $"g{k}.png"), GpuSearch.Tests.Support.TestPng.EncodeRgb(images[k].PixelArray, images[k].Width, images[k].Height));
        var db = Path.Combine(_dir.Path, "db");
        var options = new EngineOptions { Device = "cpu", Spaces = [a, b], BatchSize = 2, DecodeWorkers = 1 };
        using (var engine = ImageSearchEngine.Open(db, options))
        {
            var report = await engine.AddImagesAsync([folder]);
            Assert.Equal(4, report.Added);
            Assert.StartsWith("ensemble(shape=y*1; color=y*3)", engine.Fingerprint.OutputName);
        }
        Assert.Throws<FingerprintMismatchException>(() => ImageSearchEngine.Open(db, options with { Spaces = [a, b with { Weight = 2 }] }));
        Assert.Throws<FingerprintMismatchException>(() => ImageSearchEngine.Open(db, options with { Spaces = [b, a] }));

        using var reopened = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false, ReadOnly = true, DecodeWorkers = 1 });
        Assert.Equal(["shape", "color"], reopened.Spaces.Select(s => s.Name));
        Assert.Equal("shape[0..4) w=1, color[4..10) w=3", reopened.SpaceLayoutDescription);
        var va = Single(a, images);
        var vb = Single(b, images);
        var query = Path.Combine(folder, "g0.png");
        foreach (var (weights, ua, ub) in new[] { (new Dictionary<string, float> { ["shape"] = 1 }, 1.0, 0.0),
                     (new Dictionary<string, float> { ["color"] = 2 }, 0.0, 1.0), (new Dictionary<string, float> { ["shape"] = 1, ["color"] = 1 }, 0.5, 0.5) })
        {
            await foreach (var outcome in reopened.QueryImagesRefinedAsync([query], 4, new QueryRefinement { Spaces = weights }))
                foreach (var hit in outcome.Hits)
                {
                    int k = int.Parse(Path.GetFileNameWithoutExtension(hit.Path)[1..], System.Globalization.CultureInfo.InvariantCulture);
                    double want = ua * Dot(va.AsSpan(0, 4), va.AsSpan(k * 4, 4)) + ub * Dot(vb.AsSpan(0, 6), vb.AsSpan(k * 6, 6));
                    Assert.True(Math.Abs(want - hit.Score) < 1e-4, $"{string.Join(",", weights)}: {hit.Path} scored {hit.Score}, reference {want}");
                }
        }
        // The library form: re-weight embedded queries, then any search.
        var raw = reopened.Embed([query]).Vectors;
        foreach (var hit in reopened.Search(reopened.WeightSpaces(raw.Span, new Dictionary<string, float> { ["color"] = 1 }), 4)[0])
        {
            int k = int.Parse(Path.GetFileNameWithoutExtension(hit.Path)[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(Dot(vb.AsSpan(0, 6), vb.AsSpan(k * 6, 6)) - hit.Score) < 1e-4, $"color only: {hit.Path} scored {hit.Score}");
        }
        // Duplicates by one space (dedup --space): every pair scores that space's cosine.
        var number = reopened.Items().ToDictionary(i => i.Id, i => int.Parse(Path.GetFileNameWithoutExtension(i.Path)[1..], System.Globalization.CultureInfo.InvariantCulture));
        var byColor = reopened.FindDuplicates(new DedupOptions { Threshold = -1f, Spaces = new Dictionary<string, float> { ["color"] = 1 } });
        Assert.Equal(6, byColor.Pairs.Count);
        foreach (var p in byColor.Pairs)
        {
            double want = Dot(vb.AsSpan(number[p.A] * 6, 6), vb.AsSpan(number[p.B] * 6, 6));
            Assert.True(Math.Abs(want - p.Score) < 1e-4, $"dedup color only: {number[p.A]}-{number[p.B]} scored {p.Score}, reference {want}");
        }
        // Per-query weights (QueryOptions.Spaces: serve --space) in every search taking QueryOptions, and over HTTP.
        var colorOnly = new Dictionary<string, float> { ["color"] = 1 };
        var id0 = reopened.FindItem(query)!.Id;
        void AssertColorScores(IEnumerable<(long Id, float Score)> hits, string what)
        {
            foreach (var (id, score) in hits)
            {
                double want = Dot(vb.AsSpan(0, 6), vb.AsSpan(number[id] * 6, 6));
                Assert.True(Math.Abs(want - score) < 1e-4, $"{what}: item {number[id]} scored {score}, reference {want}");
            }
        }
        var byId = reopened.SearchById(id0, new QueryOptions(4) { Spaces = colorOnly }, excludeSelf: false)!;
        Assert.Equal(4, byId.Count);
        AssertColorScores(byId.Select(h => (h.Id, h.Score)), "SearchById");
        AssertColorScores(reopened.SearchVector(raw.Span, new QueryOptions(4) { Spaces = colorOnly }).Select(h => (h.Id, h.Score)), "SearchVector");
        await using (var host = await GpuSearch.Cli.Serve.ServeHost.StartAsync(reopened, new GpuSearch.Cli.Serve.ServeOptions { Urls = "http://127.0.0.1:0", Spaces = colorOnly }))
        {
            using var http = new HttpClient { BaseAddress = new Uri(host.Addresses[0]) };
            using var answer = await http.PostAsync("/search?k=4&exclude_self=false", JsonContent.Create(new { id = id0 }));
            using var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            var results = json.RootElement.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetInt64(), r.GetProperty("score").GetSingle())).ToArray();
            Assert.Equal(4, results.Length);
            AssertColorScores(results, "serve --space");
        }
        var e = Assert.Throws<ArgumentException>(() => reopened.QueryImagesRefinedAsync([query], 1, new QueryRefinement { Spaces = new Dictionary<string, float> { ["texture"] = 1 } })
            .ToBlockingEnumerable().ToList());
        Assert.Contains("shape[0..4)", e.Message);
        Assert.Throws<ArgumentException>(() => reopened.FindDuplicates(new DedupOptions { Spaces = new Dictionary<string, float> { ["texture"] = 1 } }));
        reopened.Dispose();
        using var writable = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false, DecodeWorkers = 1 });
        writable.Whiten();
        Assert.Throws<InvalidOperationException>(() => writable.WeightSpaces(raw.Span, new Dictionary<string, float> { ["shape"] = 1 }));
        Assert.Throws<InvalidOperationException>(() => writable.FindDuplicates(new DedupOptions { Spaces = new Dictionary<string, float> { ["shape"] = 1 } }));
    }

    [Fact]
    public void SpaceLayoutRefusesBadQueryWeights()
    {
        var layout = new GpuSearch.Search.SpaceLayout(["a", "b"], [2, 3], [1, 1]);
        Assert.Throws<ArgumentException>(() => layout.QueryFactors(new Dictionary<string, float> { ["a"] = 0 }));
        Assert.Throws<ArgumentException>(() => layout.QueryFactors(new Dictionary<string, float> { ["a"] = -1, ["b"] = 1 }));
        Assert.Throws<ArgumentException>(() => layout.QueryFactors(new Dictionary<string, float> { ["a"] = float.NaN }));
        Assert.Equal([2f, 0f], layout.QueryFactors(new Dictionary<string, float> { ["a"] = 5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GpuSearch.Search.SpaceLayout(["a"], [2], [0]));
        Assert.Throws<ArgumentException>(() => EmbeddingSpace.Resolve([new EmbeddingSpace("m.onnx", Name: "x"), new EmbeddingSpace("n.onnx", Name: "x")]));
        Assert.Equal(["m", "m-2"], EmbeddingSpace.Resolve([new EmbeddingSpace("/a/m.onnx"), new EmbeddingSpace("/b/m.onnx")]).Select(s => s.Name));
    }

    [Fact]
    public void CliParsesEnsembleAndSpaceOptions()
    {
        var spaces = GpuSearch.Cli.SpaceOptions.Build(["/m/a.onnx", "/m/b.onnx"], "1,0.5", "x,y", [], ["", "feat"], []);
        Assert.NotNull(spaces);
        Assert.Equal([1f, 0.5f], spaces!.Select(s => s.Weight));
        Assert.Equal([null, "feat"], spaces.Select(s => s.OutputName));
        Assert.Null(GpuSearch.Cli.SpaceOptions.Build(["/m/a.onnx"], null, null, [], [], []));
        Assert.Throws<ArgumentException>(() => GpuSearch.Cli.SpaceOptions.Build(["/m/a.onnx", "/m/b.onnx"], "1", null, [], [], []));
        Assert.Throws<ArgumentException>(() => GpuSearch.Cli.SpaceOptions.Build(["/a", "/b", "/c"], null, null, [], ["o", "p"], []));
        var w = GpuSearch.Cli.SpaceOptions.ParseSpaces(["shape", "color=0.25"])!;
        Assert.Equal(1f, w["shape"]);
        Assert.Equal(0.25f, w["color"]);
        Assert.Throws<ArgumentException>(() => GpuSearch.Cli.SpaceOptions.ParseSpaces(["a=x"]));
    }

    [Fact]
    public async Task IndexCommandBuildsAnEnsembleFromRepeatedModelOptions()
    {
        var (a, b) = Spaces();
        var folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "cli-images")).FullName;
        for (int k = 0; k < 2; k++)
        {
            var img = Image(k);
            File.WriteAllBytes(Path.Combine(folder, $"c{k}.png"), GpuSearch.Tests.Support.TestPng.EncodeRgb(img.PixelArray, img.Width, img.Height));
        }
        string Spec(EmbeddingSpace s)
        {
            var path = Path.Combine(_dir.Path, s.Name + ".json");
            File.WriteAllText(path, PreprocessSpecJson.Write(s.Preprocess!));
            return path;
        }
        var db = Path.Combine(_dir.Path, "cli-db");
        var run = new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false };
        var rc = await GpuSearch.Cli.Commands.IndexCommand.Create().Parse([folder, "--db", db, "--model", a.ModelPath, "--model", b.ModelPath,
            "--preprocess", Spec(a), "--preprocess", Spec(b), "--weights", "1,3", "--space-names", "shape,color", "--device", "cpu",
            "--workers", "1", "--batch", "2", "--json"]).InvokeAsync(run);
        Assert.Equal(0, rc);
        using (var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false, ReadOnly = true }))
        {
            Assert.Equal(2, engine.Count);
            Assert.Equal([("shape", 1f), ("color", 3f)], engine.Spaces.Select(s => (s.Name!, s.Weight)));
        }
        // Several --preprocess values with one model is a usage error, not a silent pick.
        await Assert.ThrowsAsync<ArgumentException>(() => GpuSearch.Cli.Commands.IndexCommand.Create().Parse([folder, "--db", db + "2", "--model", a.ModelPath,
            "--preprocess", Spec(a), "--preprocess", Spec(b), "--device", "cpu"]).InvokeAsync(run));
        Assert.False(Directory.Exists(db + "2"));
    }

    public void Dispose() => _dir.Dispose();
}
