// The host API end to end on real images from ../shared (decoder suites written by others) with the small
// real MobileNetV2-0.35 from ../shared/models: index with corrupt files mixed in, query an indexed image and
// get itself first, resume without duplicates, reopen without naming the model, refuse another model.
using GpuSearch.Imaging;
using GpuSearch.Store;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class EngineTests : IDisposable
{
    internal const string Model = "models/mobilenetv2_035_224_imagenet_embed.onnx";
    internal static readonly string[] Photos =
    [
        "testdata/decoders/libjpeg_turbo_testimages/testorig.jpg",
        "testdata/decoders/libjpeg_turbo_testimages/nightshot_iso_100.bmp",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_5674_0098.bmp",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_6434_0018a.bmp",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_6548_0026a.bmp",
        "testdata/decoders/go_image_testdata/video-001.png",
        "testdata/decoders/go_image_testdata/video-005.gray.png",
        "testdata/decoders/go_x_image_testdata/go-turns-two-280x360.jpeg",
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-engine-" + Guid.NewGuid().ToString("N"));

    /// <summary>Copies the photos into a folder and adds two corrupt files and a non-image the folder scan must ignore.</summary>
    internal static string MakeImageFolder(string root)
    {
        var images = Path.Combine(root, "images");
        Directory.CreateDirectory(Path.Combine(images, "sub"));
        foreach (var rel in Photos)
        {
            var src = SharedData.Find(rel, out var why) ?? throw new InvalidOperationException(why);
            File.Copy(src, Path.Combine(images, rel.Contains("go_") ? "sub" : "", Path.GetFileName(src)));
        }
        var jpeg = File.ReadAllBytes(SharedData.Find(Photos[0], out _)!);
        File.WriteAllBytes(Path.Combine(images, "broken.jpg"), jpeg[..(jpeg.Length / 3)]);
        File.WriteAllBytes(Path.Combine(images, "noise.png"), Enumerable.Range(0, 500).Select(i => (byte)(i * 37)).ToArray());
        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image; folder scans skip it");
        return images;
    }

    internal static EngineOptions Options(string model) => new()
    {
        Device = "cpu", ModelPath = model, Preprocess = PreprocessPresets.KerasMobileNet, BatchSize = 4, DecodeWorkers = 2,
    };

    [SharedFact(Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task IndexQueryResumeReopen()
    {
        var images = MakeImageFolder(_dir);
        var db = Path.Combine(_dir, "db");
        var model = SharedData.Find(Model, out _)!;
        var progress = new List<IndexProgress>();
        var committed = new List<AddedBatch>();
        using (var engine = ImageSearchEngine.Open(db, Options(model)))
        {
            var report = await engine.AddImagesAsync([images], new SyncProgress<IndexProgress>(progress.Add), onCommitted: committed.Add);
            Assert.Equal(Photos.Length, report.Added);
            Assert.Equal(0, report.Skipped);
            Assert.Equal(2, report.Failures.Count);
            Assert.Contains(report.Failures, f => f.Path.EndsWith("broken.jpg") && f.Reason == "Truncated");
            Assert.Contains(report.Failures, f => f.Path.EndsWith("noise.png") && f.Reason is "NotAnImage" or "Corrupt");
            Assert.Equal(Photos.Length, committed.Sum(b => b.Ids.Count));
            Assert.Equal(Photos.Length + 2, progress[^1].Processed);
            Assert.Equal(Photos.Length, engine.Count);
            Assert.Equal(1280, engine.Dimension);

            foreach (var file in Directory.GetFiles(images, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".txt") && !f.Contains("broken") && !f.Contains("noise")))
            {
                var hits = engine.Search(file, 3);
                Assert.Equal(3, hits.Count);
                Assert.Equal(Path.GetFullPath(file), hits[0].Path);
                Assert.InRange(hits[0].Score, 0.999f, 1.001f);
                Assert.True(hits[1].Score <= hits[0].Score && hits[2].Score <= hits[1].Score);
            }

            // Searches from many threads at once give the same answers as one at a time.
            var files = Directory.GetFiles(images, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".bmp") || f.EndsWith("testorig.jpg")).ToArray();
            var sequential = files.Select(f => engine.Search(f, 4)).ToArray();
            var parallel = new IReadOnlyList<SearchHit>[files.Length * 4];
            Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = engine.Search(files[i % files.Length], 4));
            for (int i = 0; i < parallel.Length; i++) Assert.Equal(sequential[i % files.Length], parallel[i]);

            // Embed returns rows for the images that decode, in input order, and the failures with their reasons.
            var orig = Path.Combine(images, "testorig.jpg");
            var embedded = engine.Embed([Path.Combine(images, "broken.jpg"), orig]);
            Assert.Equal([orig], embedded.Paths);
            Assert.Equal(engine.Dimension, embedded.Vectors.Length);
            Assert.Equal("Truncated", Assert.Single(embedded.Failures).Reason);
            var self = engine.Search(embedded.Vectors.Span, 1)[0][0];
            Assert.Equal(Path.GetFullPath(orig), self.Path);
            Assert.InRange(self.Score, 0.999f, 1.001f);

            // A re-run adds nothing and skips everything already in.
            var again = await engine.AddImagesAsync([images]);
            Assert.Equal(0, again.Added);
            Assert.Equal(Photos.Length, again.Skipped);
        }

        // Reopen without naming the model: engine.json knows it; the vectors come back from the segments.
        using (var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = "cpu", CreateIfMissing = false }))
        {
            Assert.Equal(Photos.Length, engine.Count);
            var query = Path.Combine(images, "testorig.jpg");
            Assert.Equal(Path.GetFullPath(query), engine.Search(query, 1)[0].Path);
            // Deleting removes it from search results too.
            Assert.True(engine.Delete(query));
            Assert.NotEqual(Path.GetFullPath(query), engine.Search(query, 1)[0].Path);
            Assert.Equal(Photos.Length - 1, engine.Count);
        }
    }

    [SharedFact(Model, "models/squeezenet1.1_imagenet_fp32.onnx", "testdata/decoders/libjpeg_turbo_testimages")]
    public async Task OpeningWithAnotherModelIsRefusedShowingBothFingerprints()
    {
        var db = Path.Combine(_dir, "db");
        var img = SharedData.Find(Photos[0], out _)!;
        using (var engine = ImageSearchEngine.Open(db, Options(SharedData.Find(Model, out _)!)))
            await engine.AddImagesAsync([img]);
        var other = new EngineOptions
        {
            Device = "cpu", ModelPath = SharedData.Find("models/squeezenet1.1_imagenet_fp32.onnx", out _)!,
            Preprocess = PreprocessPresets.Caffe, OutputName = "embedding",
        };
        var e = Assert.Throws<FingerprintMismatchException>(() => ImageSearchEngine.Open(db, other));
        // Both fingerprints are shown: each model's SHA-256 and its dimension (1280 vs 1000).
        Assert.Contains(e.Stored.ModelSha256, e.Message);
        Assert.Contains(e.Expected.ModelSha256, e.Message);
        Assert.NotEqual(e.Stored.ModelSha256, e.Expected.ModelSha256);
        Assert.Equal((1280, 1000), (e.Stored.Dim, e.Expected.Dim));
    }

    [Fact]
    public void OpeningAMissingIndexWithoutCreateIsAClearError()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() =>
            ImageSearchEngine.Open(Path.Combine(_dir, "nothing"), new EngineOptions { CreateIfMissing = false, Device = "cpu" }));
        Assert.Contains("holds no index", e.Message);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>IProgress that reports synchronously on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
