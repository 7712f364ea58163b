// The default model (ResNet-18 from NuGet, copied beside the assembly by the build) must be there with its
// licence, run with a freed batch, equal an independent numpy evaluation of the same ONNX file, and its
// per-channel-mean preprocessing must stay close to ML.NET's mean image. The optional nsfwjs model (fetched
// from npm by scripts/fetch-default-model.sh) is still checked against the independent conversion in ../shared.
using System.Diagnostics;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class DefaultModelTests(ITestOutputHelper output)
{
    private const string PythonOnnxProbe = "import onnx.numpy_helper, numpy";

    private sealed class PhotosFactAttribute : FactAttribute
    {
        public PhotosFactAttribute() { if (SharedData.Find(EngineTests.Photos[0], out var why) is null) Skip = why; }
    }

    private sealed class NumpyOnnxFactAttribute : FactAttribute
    {
        public NumpyOnnxFactAttribute()
        {
            var (code, _, err) = TorchvisionFixtures.Run(TimeSpan.FromSeconds(60), "-c", PythonOnnxProbe);
            if (code != 0) Skip = $"{TorchvisionFixtures.Python} cannot import onnx (apt-get install python3-onnx; scripts/setup.sh installs it): {err.Trim()}";
        }
    }

    private sealed class NsfwJsFactAttribute : FactAttribute
    {
        public NsfwJsFactAttribute()
        {
            if (!File.Exists(DefaultModel.NsfwJs.ModelPath))
                Skip = $"the optional nsfwjs model is not installed at {DefaultModel.NsfwJs.ModelPath} (scripts/fetch-default-model.sh installs it)";
            else if (SharedData.Find("models/nsfwjs_mobilenet_v2_224.onnx", out var why) is null) Skip = why;
            else if (SharedData.Find(EngineTests.Photos[0], out why) is null) Skip = why;
        }
    }

    private static DecodedImage[] Photos(int n) =>
        EngineTests.Photos.Take(n).Select(p => ImageDecoder.DecodeFile(SharedData.Find(p, out _)!)).ToArray();

    [Fact]
    public void DefaultModelAndItsLicenceAreBesideTheAssembly()
    {
        var path = DefaultModel.RequirePath();
        var dir = Path.GetDirectoryName(path)!;
        Assert.Contains("MIT License", File.ReadAllText(Path.Combine(dir, "LICENSE")));
        Assert.True(File.Exists(Path.Combine(dir, "ResNetPreprocess.onnx")));
        Assert.Same(DefaultModel.Preprocess, ImageSearchEngine.PreprocessFor(path));
    }

    [PhotosFact]
    public void DefaultModelEmbedsABatchLikeSingleImages()
    {
        var images = Photos(4);
        using var batched = new ImageEmbedder(Devices.Cpu, DefaultModel.ModelPath, DefaultModel.Preprocess, null, 4);
        Assert.Equal(DefaultModel.OutputName, batched.OutputName);
        Assert.Equal(512, batched.Dimension);
        var all = new float[images.Length * 512];
        batched.Embed(images, all);
        using var single = new ImageEmbedder(Devices.Cpu, DefaultModel.ModelPath, DefaultModel.Preprocess, null, 1);
        for (int i = 0; i < images.Length; i++)
        {
            var one = new float[512];
            single.Embed([images[i]], one);
            double dot = 0;
            for (int j = 0; j < 512; j++) dot += one[j] * all[i * 512 + j];
            Assert.True(dot > 0.99999, $"image {i}: batch-of-4 vs single cosine {dot}");
        }
    }

    [NumpyOnnxFact]
    public void DefaultModelMatchesANumpyEvaluationOfTheSameFile()
    {
        // Two images in one batch (the file declares batch 1; the numpy evaluator ignores declared shapes).
        var rng = new Random(11);
        var x = new HostTensor(Enumerable.Range(0, 2 * 3 * 224 * 224).Select(_ => (float)(rng.NextDouble() * 255 - 120)).ToArray(), [2, 3, 224, 224]);
        var dir = Directory.CreateTempSubdirectory("gpusearch-resnet18-").FullName;
        try
        {
            Npy.Write(Path.Combine(dir, "x.npy"), x);
            var sw = Stopwatch.StartNew();
            var (code, _, err) = TorchvisionFixtures.Run(TimeSpan.FromMinutes(5),
                Path.Combine(SharedData.RepoRoot, "tools", "onnx_numpy_ref.py"), DefaultModel.ModelPath, Path.Combine(dir, "x.npy"), Path.Combine(dir, "ref_"));
            Assert.True(code == 0, err);
            output.WriteLine($"numpy reference: {sw.Elapsed.TotalSeconds:F0} s");
            var want = Npy.Read(Path.Combine(dir, $"ref_{DefaultModel.OutputName}.npy"));
            using var s = new InferenceSession(DefaultModel.ModelPath, Devices.Cpu);
            Assert.True(s.HasDynamicBatch);
            var got = s.Run(new Dictionary<string, HostTensor> { ["Input247"] = x })[DefaultModel.OutputName];
            Assert.Equal([2, 512, 1, 1], got.Shape);
            double scale = want.Data.Max(v => Math.Abs((double)v)), maxDiff = 0;
            for (int i = 0; i < want.Count; i++) maxDiff = Math.Max(maxDiff, Math.Abs(want.Data[i] - (double)got.Data[i]));
            output.WriteLine($"max|diff| {maxDiff:G3}, max|ref| {scale:G4}, relative {maxDiff / scale:G3}");
            Assert.True(maxDiff <= 1e-4 * scale, $"max|diff| {maxDiff:G3} exceeds 1e-4 × {scale:G4}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [PhotosFact]
    public void PerChannelMeanStaysCloseToMlNetsMeanImage()
    {
        // ML.NET subtracts a 224×224 BGR mean image; the spec subtracts its per-channel means. Embed the photos
        // both ways (the scalar preprocessing reference, then the model) and measure the cosine.
        var prep = OnnxImporter.LoadFile(Path.Combine(Path.GetDirectoryName(DefaultModel.ModelPath)!, "ResNetPreprocess.onnx"));
        var meanImage = prep.Values.Values.Single(v => v.Constant is { ElementCount: 3 * 224 * 224 }).Constant!.ToFloats();
        var mean = DefaultModel.Preprocess.Mean;
        var images = Photos(4);
        int plane = 224 * 224;
        var spec = new float[images.Length * 3 * plane];
        for (int i = 0; i < images.Length; i++)
            PreprocessReference.Run(DefaultModel.Preprocess, images[i].PixelArray, images[i].Width, images[i].Height).CopyTo(spec, i * 3 * plane);
        var exact = new float[spec.Length];
        double maxInputDiff = 0;
        for (int i = 0; i < spec.Length; i++)
        {
            int c = i / plane % 3;
            exact[i] = (float)(spec[i] + mean[c] - meanImage[i % (3 * plane)]);
            maxInputDiff = Math.Max(maxInputDiff, Math.Abs(exact[i] - spec[i]));
        }
        using var s = new InferenceSession(DefaultModel.ModelPath, Devices.Cpu);
        float[] Embed(float[] t) => s.Run(new Dictionary<string, HostTensor> { ["Input247"] = new(t, [images.Length, 3, 224, 224]) })[DefaultModel.OutputName].Data;
        var a = Embed(spec);
        var b = Embed(exact);
        double worst = 1;
        for (int i = 0; i < images.Length; i++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < 512; j++) { dot += a[i * 512 + j] * b[i * 512 + j]; na += a[i * 512 + j] * a[i * 512 + j]; nb += b[i * 512 + j] * b[i * 512 + j]; }
            worst = Math.Min(worst, dot / Math.Sqrt(na * nb));
        }
        output.WriteLine($"input max|diff| {maxInputDiff:F2} levels; embedding cosine (per-channel mean vs mean image) worst {worst:F5}");
        Assert.InRange(maxInputDiff, 12, 13); // the mean image's largest deviation from its channel means
        Assert.True(worst > 0.99, $"worst cosine {worst}");
    }

    [Fact]
    public void FlipTtaIsTheNormalisedMeanOfImageAndMirrorEmbeddings()
    {
        // Asymmetric synthetic images (a gradient and a bright left block) so the mirror really differs.
        var images = Enumerable.Range(0, 3).Select(k =>
        {
            int w = 200 + 40 * k, h = 160;
            var px = new byte[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++)
                        px[(y * w + x) * 3 + c] = (byte)(x < w / 4 ? 250 - 60 * c : (x * (c + 1) + y * k) % 256);
            return new DecodedImage(w, h, px, w, h, ImageFormat.Png);
        }).ToArray();
        var mirror = ImageEmbedder.Mirror(images[1]);
        Assert.Equal(images[1].PixelArray, ImageEmbedder.Mirror(mirror).PixelArray);
        Assert.Equal(images[1].PixelArray.AsSpan(0, 3).ToArray(), mirror.PixelArray.AsSpan((images[1].Width - 1) * 3, 3).ToArray());

        using var plain = new ImageEmbedder(Devices.Cpu, DefaultModel.RequirePath(), DefaultModel.Preprocess, null, 6);
        using var tta = new ImageEmbedder(Devices.Cpu, DefaultModel.RequirePath(), DefaultModel.Preprocess, null, 3, flipTta: true);
        var both = new float[6 * 512];
        plain.Embed([.. images, .. images.Select(ImageEmbedder.Mirror)], both);
        var got = new float[3 * 512];
        tta.Embed(images, got);
        double worstGap = 1;
        for (int i = 0; i < 3; i++)
        {
            // Scalar reference: (a + b) / |a + b| for the unit embeddings a (image) and b (mirror).
            var sum = new double[512];
            double norm = 0, ab = 0;
            for (int j = 0; j < 512; j++) { sum[j] = both[i * 512 + j] + both[(3 + i) * 512 + j]; norm += sum[j] * sum[j]; ab += both[i * 512 + j] * both[(3 + i) * 512 + j]; }
            for (int j = 0; j < 512; j++) Assert.True(Math.Abs(sum[j] / Math.Sqrt(norm) - got[i * 512 + j]) < 1e-4, $"image {i} dim {j}");
            worstGap = Math.Min(worstGap, ab);
        }
        output.WriteLine($"cosine(image, mirror) lowest {worstGap:F4}");
        Assert.True(worstGap < 0.9999, "the mirrors should embed differently, or the test checks nothing");
    }

    [Fact]
    public async Task EngineKeepsFlipTtaForItsIndexAndRefusesTheOtherSetting()
    {
        var root = Directory.CreateTempSubdirectory("gpusearch-flip-").FullName;
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, "images")).FullName;
            for (int k = 0; k < 3; k++)
            {
                int w = 180 + 30 * k, h = 150;
                var px = new byte[w * h * 3];
                for (int i = 0; i < px.Length; i++) px[i] = (byte)((i / 3 % w) * (k + 2) + i % 3 * 70);
                File.WriteAllBytes(Path.Combine(folder, $"g{k}.png"), TestPng.EncodeRgb(px, w, h));
            }
            var db = Path.Combine(root, "db");
            float[] stored;
            using (var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", FlipTta = true, BatchSize = 2, DecodeWorkers = 1 }))
            {
                await engine.AddImagesAsync([folder]);
                Assert.EndsWith("+flip-tta", engine.Fingerprint.OutputName);
                stored = engine.Embed([Path.Combine(folder, "g1.png")]).Vectors.ToArray();
            }
            using (var reopened = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false }))
            {
                var again = reopened.Embed([Path.Combine(folder, "g1.png")]).Vectors.ToArray();
                Assert.Equal(stored, again);
                var hit = reopened.Search(Path.Combine(folder, "g1.png"), 1)[0];
                Assert.EndsWith("g1.png", hit.Path);
                Assert.True(hit.Score > 0.9999f, $"self score {hit.Score}");
            }
            // The mirror-averaged vector is what the reference says for that image.
            using var tta = new ImageEmbedder(Devices.Cpu, DefaultModel.RequirePath(), DefaultModel.Preprocess, null, 1, flipTta: true);
            var want = new float[512];
            tta.Embed([ImageDecoder.DecodeFile(Path.Combine(folder, "g1.png"))], want);
            for (int j = 0; j < 512; j++) Assert.True(Math.Abs(want[j] - stored[j]) < 1e-5, $"dim {j}");
            Assert.Throws<GpuSearch.Store.FingerprintMismatchException>(() => ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", FlipTta = false }));
        }
        finally { Directory.Delete(root, true); }
    }

    [NsfwJsFact]
    public void ConvertedNsfwJsModelMatchesTheIndependentConversion()
    {
        var images = Photos(4);
        float[] Embed(string model)
        {
            using var e = new ImageEmbedder(Devices.Cpu, model, DefaultModel.NsfwJs.Preprocess, "embedding", 4);
            Assert.Equal(1280, e.Dimension);
            var v = new float[images.Length * e.Dimension];
            e.Embed(images, v);
            return v;
        }
        var ours = Embed(DefaultModel.NsfwJs.ModelPath);
        var reference = Embed(SharedData.Find("models/nsfwjs_mobilenet_v2_224.onnx", out _)!);
        double maxDiff = 0, dot = 0;
        for (int i = 0; i < ours.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - reference[i])); dot += ours[i] * reference[i]; }
        // Unit vectors: a max element difference near 1e-4 is float rounding of two BN-folding orders.
        Assert.True(maxDiff < 1e-3, $"max |diff| {maxDiff}");
        Assert.True(dot / images.Length > 0.9999, $"mean cosine {dot / images.Length}");
    }
}
