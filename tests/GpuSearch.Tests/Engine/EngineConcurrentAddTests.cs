// Two AddImagesAsync calls at once on one engine used to race (both embedded the same files, then the second
// threw "Duplicate id" midway). They now run one after the other: every image is added once, the second call
// skips what the first committed, and both return normally.
using GpuSearch.Store;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class EngineConcurrentAddTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-concurrent-" + Guid.NewGuid().ToString("N"));

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task Two_adds_at_once_are_serialised_and_add_each_image_once()
    {
        var images = EngineTests.MakeImageFolder(_dir);
        var db = Path.Combine(_dir, "db");
        using var engine = ImageSearchEngine.Open(db, EngineTests.Options(SharedData.Find(EngineTests.Model, out _)!));
        var committed = new List<long>();
        void OnCommitted(AddedBatch b) { lock (committed) committed.AddRange(b.Ids); }

        var first = engine.AddImagesAsync([images], onCommitted: OnCommitted);
        var second = engine.AddImagesAsync([images], onCommitted: OnCommitted);
        var reports = await Task.WhenAll(first, second);

        int photos = EngineTests.Photos.Length;
        Assert.Equal(photos, reports.Sum(r => r.Added));
        Assert.Equal(photos, reports.Sum(r => r.Skipped));
        Assert.Equal(committed.Count, committed.Distinct().Count());
        Assert.Equal(photos, engine.Count);
        var hits = engine.Search(Path.Combine(images, "testorig.jpg"), 3);
        Assert.EndsWith("testorig.jpg", hits[0].Path);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
