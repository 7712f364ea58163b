// The four real models of ../shared/models run through our executor on PoCL must match OpenCV DNN
// (an independent runtime; fixtures from tools/make_cnn_fixtures.py) on real photos within 1e-4
// relative to each output's largest magnitude. Also checks batch splitting and fp16 weight storage.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Models;

public sealed class ExecutionModelTests(ITestOutputHelper output)
{
    private static string Fixtures => Path.Combine(SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "cnn");

    /// <summary>Per-model input size and preprocessing (MODELS.md).</summary>
    private static (int Size, Func<float, int, float> Prep) Spec(string model) => model switch
    {
        "mobilenetv2_035_224_imagenet_embed" => (224, (v, _) => v / 127.5f - 1f),
        "squeezenet1.1_imagenet_fp32" => (224, (v, c) => v - (c == 0 ? 104f : c == 1 ? 117f : 123f)),
        _ => (model.Contains("299") ? 299 : 224, (v, _) => v / 255f),
    };

    /// <summary>The photos as the model's input: RGB planes, or BGR for SqueezeNet, preprocessed.</summary>
    internal static HostTensor Input(string model)
    {
        var (size, prep) = Spec(model);
        var px = Npy.Read(Path.Combine(Fixtures, $"pixels_{size}.npy"));
        bool bgr = model.StartsWith("squeezenet", StringComparison.Ordinal);
        var x = new float[px.Count];
        int plane = size * size;
        for (int b = 0; b < px.Shape[0]; b++)
            for (int c = 0; c < 3; c++)
            {
                int src = bgr ? 2 - c : c;
                for (int i = 0; i < plane; i++) x[(b * 3 + c) * plane + i] = prep(px.Data[(b * 3 + src) * plane + i], c);
            }
        return new HostTensor(x, px.Shape);
    }

    [SharedTheory("models")]
    [InlineData("mobilenetv2_035_224_imagenet_embed", "input")]
    [InlineData("squeezenet1.1_imagenet_fp32", "data_0")]
    [InlineData("nsfwjs_mobilenet_v2_224", "input")]
    [InlineData("nsfwjs_inception_v3_299", "input")]
    public void MatchesOpenCvDnn(string model, string inputName)
    {
        var path = SharedData.Find(Path.Combine("models", model + ".onnx"), out var why);
        if (path is null) { output.WriteLine($"skipped: {why}"); return; }
        using var session = new InferenceSession(path, Devices.Cpu);
        var outs = session.Run(new Dictionary<string, HostTensor> { [inputName] = Input(model) });
        foreach (var (name, got) in outs)
        {
            var want = Npy.Read(Path.Combine(Fixtures, $"{model}.{name}.npy"));
            Assert.Equal(want.Count, got.Count);
            double scale = want.Data.Max(v => Math.Abs((double)v)), maxDiff = 0;
            for (long i = 0; i < want.Count; i++) maxDiff = Math.Max(maxDiff, Math.Abs(want.Data[i] - (double)got.Data[i]));
            output.WriteLine($"{model}.{name} [{string.Join(",", got.Shape)}]: max|diff| {maxDiff:G3}, max|ref| {scale:G4}, relative {maxDiff / scale:G3}; arena {session.ArenaBytes / 1048576.0:F1} MiB");
            Assert.True(maxDiff <= 1e-4 * scale, $"{model}.{name}: max|diff| {maxDiff:G3} exceeds 1e-4 × {scale:G4}");
        }
    }

    [SharedFact("models/mobilenetv2_035_224_imagenet_embed.onnx")]
    public void BatchSplitAndFp16WeightsAgreeWithSingleImages()
    {
        var path = SharedData.Find("models/mobilenetv2_035_224_imagenet_embed.onnx", out _)!;
        var x = Input("mobilenetv2_035_224_imagenet_embed");
        // A batch of 3 (= 2 + 1 with planned sizes {2, 1}) must equal the images run one at a time.
        var three = new HostTensor([.. x.Data, .. x.Data.AsSpan(0, x.Data.Length / 2)], [3, 3, 224, 224]);
        using var split = new InferenceSession(path, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        var y3 = split.Run(new Dictionary<string, HostTensor> { ["input"] = three })["embedding"];
        Assert.Equal([2, 1], split.SplitBatch(3));
        Assert.Equal(2, split.Plans.Count);
        var y2 = Npy.Read(Path.Combine(Fixtures, "mobilenetv2_035_224_imagenet_embed.embedding.npy"));
        for (int i = 0; i < 1280; i++) Assert.Equal(y3.Data[i], y3.Data[2 * 1280 + i]); // image 0 in both chunks: bit-identical
        using var half = new InferenceSession(path, Devices.Cpu, new SessionOptions { WeightStorage = TensorStorage.F16 });
        var yh = half.Run(new Dictionary<string, HostTensor> { ["input"] = x })["embedding"];
        double scale = y2.Data.Max(v => Math.Abs((double)v)), maxDiff = 0;
        for (int i = 0; i < yh.Count; i++) maxDiff = Math.Max(maxDiff, Math.Abs(yh.Data[i] - (double)y2.Data[i]));
        output.WriteLine($"fp16 weights: max|diff| {maxDiff:G3} vs OpenCV (relative {maxDiff / scale:G3})");
        // fp16 weights carry ~5e-4 relative rounding each; through 52 convs that compounds to a few percent.
        Assert.True(maxDiff <= 5e-2 * scale, $"fp16 weights drift {maxDiff:G3}");
        foreach (var p in split.Plans.Values)
            output.WriteLine($"plan {string.Join(",", p.InputShapes["input"])}: {p.StepCount} steps, arena {p.ArenaBytes:N0} B vs {p.UnsharedBytes:N0} B unshared");
    }
}
