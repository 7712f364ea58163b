// The default model (fetched from npm and converted by tools/tfjs_to_onnx.py at set-up time) against an
// independent conversion of the same nsfwjs weights in ../shared/models: both run through our executor on
// real photos must give the same embeddings, which checks the converter end to end.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class DefaultModelTests
{
    private sealed class DefaultModelFactAttribute : FactAttribute
    {
        public DefaultModelFactAttribute()
        {
            if (!File.Exists(DefaultModel.ModelPath))
                Skip = $"the default model is not installed at {DefaultModel.ModelPath} (scripts/fetch-default-model.sh installs it)";
            else if (SharedData.Find("models/nsfwjs_mobilenet_v2_224.onnx", out var why) is null) Skip = why;
            else if (SharedData.Find(EngineTests.Photos[0], out why) is null) Skip = why;
        }
    }

    [DefaultModelFact]
    public void ConvertedDefaultModelMatchesTheIndependentConversion()
    {
        var device = Devices.Cpu;
        var images = EngineTests.Photos.Take(4).Select(p => ImageDecoder.DecodeFile(SharedData.Find(p, out _)!)).ToArray();
        float[] Embed(string model)
        {
            using var e = new ImageEmbedder(device, model, DefaultModel.Preprocess, "embedding", 4);
            Assert.Equal(1280, e.Dimension);
            var v = new float[images.Length * e.Dimension];
            e.Embed(images, v);
            return v;
        }
        var ours = Embed(DefaultModel.ModelPath);
        var reference = Embed(SharedData.Find("models/nsfwjs_mobilenet_v2_224.onnx", out _)!);
        double maxDiff = 0, dot = 0;
        for (int i = 0; i < ours.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - reference[i])); dot += ours[i] * reference[i]; }
        // Unit vectors: a max element difference near 1e-4 is float rounding of two BN-folding orders.
        Assert.True(maxDiff < 1e-3, $"max |diff| {maxDiff}");
        Assert.True(dot / images.Length > 0.9999, $"mean cosine {dot / images.Length}");
    }

    [Fact]
    public void MissingDefaultModelNamesTheFetchScript()
    {
        var old = Environment.GetEnvironmentVariable("GPUSEARCH_MODELS");
        Environment.SetEnvironmentVariable("GPUSEARCH_MODELS", Path.Combine(Path.GetTempPath(), "no-models-" + Guid.NewGuid().ToString("N")));
        try
        {
            var e = Assert.Throws<FileNotFoundException>(DefaultModel.RequirePath);
            Assert.Contains("fetch-default-model.sh", e.Message);
        }
        finally { Environment.SetEnvironmentVariable("GPUSEARCH_MODELS", old); }
    }
}
