// GeM pooling as a load-time graph rewrite, on the device against a scalar reference computed from the same run's
// feature map (the default ResNet-18's last ReLU, [N,512,7,7]), for p = 3 and a fractional p; the option syntax and
// its errors; and the index fingerprint refusing another p or no pooling.
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Store;

namespace GpuSearch.Tests.Models;

[Trait("Backend", "OpenCL")]
public sealed class GemPoolingTests : IDisposable
{
    /// <summary>The default model's last feature map before its average pool.</summary>
    internal const string FeatureMap = "ReLU393_Output_0";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-gem-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(3.0)]
    [InlineData(1.7)]
    public void PoolingOnTheDeviceMatchesAScalarReference(double p)
    {
        var gem = new GemPooling(p);
        var loaded = ModelLoader.Load(DefaultModel.RequirePath(), rewrite: g =>
        {
            Assert.Equal(GemPooling.OutputFor(FeatureMap), gem.Apply(g, FeatureMap));
            g.Outputs.Add(FeatureMap); // the test also reads the map the pooling consumed
        });
        using var device = DeviceRegistry.Default.Open("auto");
        using var session = new InferenceSession(loaded.Graph, device);
        var rng = new Random(5);
        var input = new float[2 * 3 * 224 * 224];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 255 - 120);
        var outputs = session.Run(new Dictionary<string, HostTensor> { [session.InputNames[0]] = new HostTensor(input, [2, 3, 224, 224]) });
        var map = outputs[FeatureMap];
        var pooled = outputs[GemPooling.OutputFor(FeatureMap)];
        Assert.Equal([2, 512, 7, 7], map.Shape);
        Assert.Equal([2, 512], pooled.Shape);

        double worst = 0;
        int zeros = 0;
        for (int nc = 0; nc < 2 * 512; nc++)
        {
            double sum = 0;
            for (int i = 0; i < 49; i++) sum += Math.Pow(Math.Max(map.Data[nc * 49 + i], GemPooling.Eps), p);
            double expected = Math.Pow(sum / 49, 1 / p);
            worst = Math.Max(worst, Math.Abs(pooled.Data[nc] - expected) / Math.Max(Math.Abs(expected), 1e-3));
            if (map.Data.AsSpan(nc * 49, 49).IndexOfAnyExcept(0f) < 0) zeros++;
        }
        Assert.True(worst <= 1e-4, $"largest relative error {worst:E2}");
        Assert.True(zeros < 2 * 512, "the feature map is all zeros, the check would be vacuous");
    }

    [Fact]
    public void OptionSyntax()
    {
        Assert.Equal(new GemPooling(3), GemPooling.Parse("gem"));
        Assert.Equal(new GemPooling(4.5), GemPooling.Parse("GeM:4.5"));
        Assert.Equal("gem:4.5", GemPooling.Parse("gem:4.5").ToString());
        foreach (var bad in new[] { "avg", "gem:", "gem:x", "gem:0", "gem:1e9", "gem:NaN", "gem:3:4" })
            Assert.Throws<ArgumentException>(() => GemPooling.Parse(bad));
    }

    [Fact]
    public void NamingAValueTheModelLacksIsAClearError()
    {
        using var device = DeviceRegistry.Default.Open("auto");
        var e = Assert.Throws<ArgumentException>(() =>
            new ImageEmbedder(device, DefaultModel.RequirePath(), DefaultModel.Preprocess, "no_such_layer", pooling: new GemPooling(3)));
        Assert.Contains("no value 'no_such_layer'", e.Message);
        Assert.Throws<ArgumentException>(() => new ImageEmbedder(device, DefaultModel.RequirePath(), DefaultModel.Preprocess, pooling: new GemPooling(3)));
    }

    [GpuSearch.Tests.Imaging.SharedFact(Engine.EngineTests.Model)]
    public void AValueThatIsNotAFeatureMapIsRefused()
    {
        var model = GpuSearch.Tests.Support.SharedData.Find(Engine.EngineTests.Model, out _)!;
        var e = Assert.Throws<ArgumentException>(() => ModelLoader.Load(model, rewrite: g => new GemPooling(3).Apply(g, "embedding")));
        Assert.Contains("'embedding' must be a [N,C,H,W] feature map", e.Message);
    }

    [Fact]
    public void AnIndexRefusesAnotherPooling()
    {
        var db = Path.Combine(_dir, "db");
        EngineOptions Options(GemPooling? pool) => new()
        {
            Device = "cpu", ModelPath = DefaultModel.RequirePath(), OutputName = pool is null ? DefaultModel.OutputName : FeatureMap, Pool = pool, BatchSize = 2,
        };
        using (var engine = ImageSearchEngine.Open(db, Options(new GemPooling(3))))
            Assert.Equal(512, engine.Dimension);
        // Unset options come from engine.json, pooling included; naming the model's own output means no pooling.
        using (ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", BatchSize = 2 })) { }
        foreach (var other in new[] { Options(new GemPooling(4)), Options(null) })
        {
            var e = Assert.Throws<FingerprintMismatchException>(() => ImageSearchEngine.Open(db, other));
            Assert.Contains("output", e.Message);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
