// PCA-whitening as an index option: learned from the index's vectors, stored in whitening.bin, applied to stored
// vectors and every query. Checked against a scalar reference (x − mean)·P, normalised, computed here; the raw
// vectors must survive, a reopened index must search the same, and a damaged or foreign whitening.bin is refused.
using GpuSearch.Tests.Support;
using GpuSearch.Cli.Commands;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Search;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class WhiteningTests
{
    private const int Side = 16, Dim = 6;

    private static readonly PreprocessSpec Spec = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = Side, Height = Side },
        Scale = 1.0 / 255.0,
    };

    /// <summary>[N,3,16,16] → 3×3 conv to 6 channels → ReLU → global average → [N,6]; the seed changes the weights (and the fingerprint).</summary>
    internal static string Model(string dir, int seed = 7)
    {
        var path = Path.Combine(dir, $"tiny-{seed}.onnx");
        new OnnxTestWriter().Input("input", "N", 3, Side, Side).Output("embedding").Init("w", [Dim, 3, 3, 3], Random(Dim * 27, seed))
            .Node("Conv", ["input", "w"], ["c"], attrs: A(("pads", new long[] { 1, 1, 1, 1 }))).Node("Relu", ["c"], ["r"])
            .Node("GlobalAveragePool", ["r"], ["p"]).Node("Flatten", ["p"], ["embedding"]).Save(path);
        return path;
    }

    /// <summary>Noisy images of random colours, so the embeddings spread over every axis.</summary>
    internal static string Images(string dir, int count, int seed = 1)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir, $"images{seed}")).FullName;
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var level = Enumerable.Range(0, 3).Select(_ => rng.Next(256)).ToArray();
            var rgb = Enumerable.Range(0, Side * Side * 3).Select(j => (byte)Math.Clamp(level[j % 3] + rng.Next(-60, 61) * ((j / 3) % Side) / Side, 0, 255)).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"img{i}.png"), TestPng.EncodeRgb(rgb, Side, Side));
        }
        return folder;
    }

    internal static EngineOptions Options(string model) => new() { Device = "cpu", ModelPath = model, Preprocess = Spec, BatchSize = 4, DecodeWorkers = 2 };

    /// <summary>The scalar reference: (x − mean)·P, L2-normalised, in double.</summary>
    private static double[] Reference(PcaWhitening w, float[] x)
    {
        var y = new double[w.OutputDimension];
        for (int c = 0; c < y.Length; c++)
            for (int j = 0; j < x.Length; j++) y[c] += ((double)x[j] - w.Mean[j]) * w.Projection[j * w.OutputDimension + c];
        double norm = Math.Sqrt(y.Sum(v => v * v));
        return y.Select(v => v / norm).ToArray();
    }

    private static void AssertWhitenedScores(ImageSearchEngine engine, PcaWhitening w)
    {
        var items = engine.Items();
        var whitened = items.ToDictionary(i => i.Id, i => Reference(w, engine.GetVector(i.Id)!));
        foreach (var q in items)
        {
            var hits = engine.Search(engine.GetVector(q.Id)!, items.Count)[0];
            Assert.Equal(items.Count, hits.Count);
            var want = items.Select(i => (i.Id, Score: whitened[q.Id].Zip(whitened[i.Id]).Sum(p => p.First * p.Second)))
                .OrderByDescending(p => p.Score).ToArray();
            foreach (var h in hits)
                Assert.True(Math.Abs(h.Score - want.Single(p => p.Id == h.Id).Score) < 1e-4, $"query {q.Id} hit {h.Id}: {h.Score} vs {want.Single(p => p.Id == h.Id).Score}");
            Assert.Equal(q.Id, hits[0].Id);
            Assert.Equal(want.Select(p => p.Score), hits.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }

    [Fact]
    public async Task Whitened_index_scores_reopen_add_and_remove()
    {
        using var dir = new TempDir();
        var db = Path.Combine(dir.Path, "db");
        var model = Model(dir.Path);
        using (var engine = ImageSearchEngine.Open(db, Options(model)))
        {
            Assert.Equal(12, (await engine.AddImagesAsync([Images(dir.Path, 12)])).Added);
            var raw = engine.Items().ToDictionary(i => i.Id, i => engine.GetVector(i.Id)!);
            var first = engine.Items()[0];
            var rawHits = engine.Search(raw[first.Id], 5)[0];
            Assert.Null(engine.Whitening);

            var learned = engine.Whiten(outputDimension: 4, shrinkage: 0.3);
            Assert.Equal((Dim, 4, 12L), (learned.Whitening.InputDimension, learned.Whitening.OutputDimension, learned.TrainedRows));
            Assert.Equal(engine.Fingerprint.Hash, learned.FingerprintHash);
            Assert.True(File.Exists(Path.Combine(db, WhiteningFile.FileName)));
            // The raw vectors are kept as they were; search sees the whitened ones.
            Assert.All(raw, p => Assert.Equal(p.Value, engine.GetVector(p.Key)));
            AssertWhitenedScores(engine, learned.Whitening);
            Assert.NotEqual(rawHits.Select(h => h.Score), engine.Search(raw[first.Id], 5)[0].Select(h => h.Score));

            // Images added after whitening are whitened with the same transform.
            Assert.Equal(3, (await engine.AddImagesAsync([Images(dir.Path, 3, seed: 2)])).Added);
            AssertWhitenedScores(engine, learned.Whitening);
        }
        using (var reopened = ImageSearchEngine.Open(db, Options(model)))
        {
            Assert.NotNull(reopened.Whitening);
            Assert.Equal(12, reopened.Whitening!.TrainedRows);
            AssertWhitenedScores(reopened, reopened.Whitening.Whitening);
            Assert.True(reopened.RemoveWhitening());
            Assert.False(reopened.RemoveWhitening());
            Assert.Null(reopened.Whitening);
            var first = reopened.Items()[0];
            var hit = reopened.Search(reopened.GetVector(first.Id)!, 1)[0][0];
            Assert.Equal(first.Id, hit.Id);
            Assert.Equal(1f, hit.Score, 1e-5f); // raw cosine again
        }
    }

    [Fact]
    public async Task Whiten_command_stores_and_removes_and_checks_its_arguments()
    {
        using var dir = new TempDir();
        var db = Path.Combine(dir.Path, "db");
        using (var engine = ImageSearchEngine.Open(db, Options(Model(dir.Path))))
            await engine.AddImagesAsync([Images(dir.Path, 6)]);
        var sw = new StringWriter();
        Assert.Equal(0, WhitenCommand.Run(db, 3, 0.9, remove: false, "cpu", json: true, sw));
        Assert.Contains("\"output_dim\": 3", sw.ToString());
        Assert.Contains("\"rows\": 6", sw.ToString());
        Assert.True(File.Exists(Path.Combine(db, WhiteningFile.FileName)));
        Assert.Throws<ArgumentOutOfRangeException>(() => WhitenCommand.Run(db, Dim + 1, 0.5, false, "cpu", false, TextWriter.Null));
        Assert.Throws<ArgumentOutOfRangeException>(() => WhitenCommand.Run(db, null, 1.5, false, "cpu", false, TextWriter.Null));
        Assert.Equal(0, WhitenCommand.Run(db, null, 0.5, remove: true, "cpu", json: false, sw));
        Assert.False(File.Exists(Path.Combine(db, WhiteningFile.FileName)));
    }

    [Fact]
    public async Task A_damaged_or_foreign_whitening_file_is_refused_and_kept()
    {
        using var dir = new TempDir();
        var dbA = Path.Combine(dir.Path, "a");
        var dbB = Path.Combine(dir.Path, "b");
        var images = Images(dir.Path, 6);
        using (var a = ImageSearchEngine.Open(dbA, Options(Model(dir.Path, seed: 7))))
        {
            await a.AddImagesAsync([images]);
            a.Whiten(shrinkage: 0.5);
        }
        using (var b = ImageSearchEngine.Open(dbB, Options(Model(dir.Path, seed: 8))))
            await b.AddImagesAsync([images]);
        var fileA = Path.Combine(dbA, WhiteningFile.FileName);
        var fileB = Path.Combine(dbB, WhiteningFile.FileName);

        // Another model's whitening: refused by the fingerprint, not silently applied to other vectors.
        File.Copy(fileA, fileB);
        var foreign = Assert.Throws<InvalidDataException>(() => ImageSearchEngine.Open(dbB, Options(Model(dir.Path, seed: 8))));
        Assert.Contains("fingerprint", foreign.Message);
        Assert.Contains(fileB, foreign.Message);

        // One flipped bit in A's own file: the checksum refuses it, and the file is left for the user to inspect.
        var good = File.ReadAllBytes(fileA);
        var bad = good.ToArray();
        bad[good.Length / 2] ^= 0x10;
        File.WriteAllBytes(fileA, bad);
        var damaged = Assert.Throws<InvalidDataException>(() => ImageSearchEngine.Open(dbA, Options(Model(dir.Path, seed: 7))));
        Assert.Contains("checksum", damaged.Message);
        Assert.Equal(bad, File.ReadAllBytes(fileA));
        File.WriteAllBytes(fileA, good);
        using var again = ImageSearchEngine.Open(dbA, Options(Model(dir.Path, seed: 7)));
        Assert.NotNull(again.Whitening);
    }
}
