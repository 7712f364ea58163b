// A model that outputs NaN or infinity (here a Gemm with alpha = NaN, as a bit flip makes) must not put a
// single vector into the index: every image fails with the NonFiniteEmbedding reason, the store stays
// empty, and the store itself refuses non-finite vectors as a last guard.
using GpuSearch.Tests.Support;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Store;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Trust;

[Trait("Backend", "OpenCL")]
public sealed class NonFiniteEmbeddingTests
{
    private const int Side = 16;

    private static readonly PreprocessSpec Spec = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = Side, Height = Side },
        Scale = 1.0 / 255.0,
    };

    /// <summary>[N,3,16,16] → global average → flatten → Gemm(alpha) → [N,4].</summary>
    private static string Model(string dir, float alpha)
    {
        var path = Path.Combine(dir, $"gemm-{alpha}.onnx");
        new OnnxTestWriter().Input("input", "N", 3, Side, Side).Output("embedding")
            .Init("b", [3, 4], [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1])
            .Node("GlobalAveragePool", ["input"], ["g"]).Node("Flatten", ["g"], ["f"])
            .Node("Gemm", ["f", "b"], ["embedding"], "gemm", new() { ["alpha"] = alpha })
            .Save(path);
        return path;
    }

    private static string Images(string dir, int count)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        for (int i = 0; i < count; i++)
        {
            var rgb = Enumerable.Range(0, Side * Side * 3).Select(j => (byte)(j * (i + 3))).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"img{i}.png"), TestPng.EncodeRgb(rgb, Side, Side));
        }
        return folder;
    }

    private static EngineOptions Options(string model) => new()
        { Device = "cpu", ModelPath = model, Preprocess = Spec, BatchSize = 4, DecodeWorkers = 2 };

    [Fact]
    public async Task A_model_that_outputs_NaN_indexes_nothing_and_says_why()
    {
        using var dir = new TempDir();
        var images = Images(dir.Path, 6);
        using var engine = ImageSearchEngine.Open(Path.Combine(dir.Path, "db"), Options(Model(dir.Path, float.NaN)));
        var report = await engine.AddImagesAsync([images]);
        Assert.Equal(0, report.Added);
        Assert.Equal(6, report.Failures.Count);
        Assert.All(report.Failures, f => Assert.Equal(EmbeddingPipeline.NonFiniteReason, f.Reason));
        Assert.All(report.Failures, f => Assert.Contains("NaN or infinite", f.Message));
        Assert.Equal(0, engine.Count);
        var embedded = engine.Embed(Directory.GetFiles(images));
        Assert.True(embedded.Vectors.IsEmpty);
        Assert.Equal(6, embedded.Failures.Count);
        Assert.Throws<ArgumentException>(() => engine.Search(Directory.GetFiles(images)[0], 3));
        var first = Directory.GetFiles(images)[0];
        Assert.Contains("NaN or infinite", (await Assert.ThrowsAsync<ArgumentException>(() => engine.SearchAsync(first, new QueryOptions(3)))).Message);
        await using (var stream = File.OpenRead(first))
            await Assert.ThrowsAsync<ArgumentException>(() => engine.SearchAsync(stream, new QueryOptions(3)));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.SearchBatchAsync([engine.Decode(File.ReadAllBytes(first), "q")], new QueryOptions(3)));
    }

    [Fact]
    public async Task The_same_model_with_a_finite_alpha_indexes_everything()
    {
        // The control: proves the failures above come from the NaN, not from the tiny model or the images.
        using var dir = new TempDir();
        var images = Images(dir.Path, 6);
        using var engine = ImageSearchEngine.Open(Path.Combine(dir.Path, "db"), Options(Model(dir.Path, 1f)));
        var report = await engine.AddImagesAsync([images]);
        Assert.Equal(6, report.Added);
        Assert.Empty(report.Failures);
        Assert.Throws<ArgumentException>(() => engine.Search(new[] { float.NaN, 0f, 0f, 0f }, 3));
    }

    [Fact]
    public void The_store_refuses_a_non_finite_vector()
    {
        using var dir = new TempDir();
        var db = Path.Combine(dir.Path, "db");
        var fp = new ModelFingerprint(new string('a', 64), "{}", "embedding", "float32", 4);
        using var store = IndexStore.Create(db, new IndexMetadata(fp, NpyDType.Float32, 4));
        var hash = new string('b', 64);
        var e = Assert.Throws<ArgumentException>(() => store.Add([new ItemToAdd("/x.png", hash, 1, new[] { 1f, float.PositiveInfinity, 0f, 0f })]));
        Assert.Contains("/x.png", e.Message);
        Assert.Equal(0, store.Count);
    }
}
