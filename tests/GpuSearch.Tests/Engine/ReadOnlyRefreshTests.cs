// A read-only engine (a long-lived `serve --read-only`) beside a writer: it loaded the device vectors at open, and
// before each search picks up what the writer committed since (added and deleted items) and a whitening it learned
// or removed, without reopening; its Revision (what the server's duplicate cache compares) moves with each change.
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class ReadOnlyRefreshTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-ro-refresh-" + Guid.NewGuid().ToString("N"));

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task Read_only_engine_sees_commits_made_after_it_opened()
    {
        var files = VariantImages.Write(Path.Combine(_dir, "images"), 1); // one crop of each of the 8 photos
        var db = Path.Combine(_dir, "db");
        var options = EngineTests.Options(SharedData.Find(EngineTests.Model, out _)!);
        using var writer = ImageSearchEngine.Open(db, options);
        await writer.AddImagesAsync(files.Take(4));
        using var reader = ImageSearchEngine.Open(db, options with { ReadOnly = true, CreateIfMissing = false });
        Assert.NotEqual(files[5], reader.Search(files[5], 1)[0].Path);

        await writer.AddImagesAsync(files.Skip(4));
        var hit = reader.Search(files[5], 1)[0];
        Assert.Equal(files[5], hit.Path);
        Assert.InRange(hit.Score, 0.999f, 1.001f);
        Assert.Equal(files.Count, reader.Search(files[5], 100).Count);

        Assert.True(writer.Delete(files[5]));
        Assert.NotEqual(files[5], reader.Search(files[5], 1)[0].Path);
        Assert.Equal(files.Count - 1, reader.Search(files[5], 100).Count);
    }

    [SharedFact(EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_image_testdata", "testdata/decoders/go_x_image_testdata")]
    public async Task Read_only_engine_follows_the_writers_whitening_and_its_revision_moves()
    {
        var files = VariantImages.Write(Path.Combine(_dir, "images"), 1);
        var db = Path.Combine(_dir, "db");
        var options = EngineTests.Options(SharedData.Find(EngineTests.Model, out _)!);
        using var writer = ImageSearchEngine.Open(db, options);
        await writer.AddImagesAsync(files);
        using var reader = ImageSearchEngine.Open(db, options with { ReadOnly = true, CreateIfMissing = false });
        long before = reader.Revision;
        Assert.Equal(before, reader.Revision);
        Assert.Null(reader.Whitening);

        var learned = writer.Whiten(outputDimension: 4, shrinkage: 0.5);
        long whitened = reader.Revision;
        Assert.NotEqual(before, whitened);
        Assert.Equal(learned.OutputDimension, reader.Whitening?.OutputDimension);
        // The reader now searches in the writer's space: the same neighbours with the same scores.
        var want = writer.Search(files[2], 3);
        var got = reader.Search(files[2], 3);
        Assert.Equal(want.Select(h => h.Id), got.Select(h => h.Id));
        for (int i = 0; i < want.Count; i++) Assert.Equal(want[i].Score, got[i].Score, 1e-5f);

        Assert.True(writer.RemoveWhitening());
        long raw = reader.Revision;
        Assert.NotEqual(whitened, raw);
        Assert.Null(reader.Whitening);
        Assert.Equal(writer.Search(files[2], 1)[0].Score, reader.Search(files[2], 1)[0].Score, 1e-5f);
        Assert.True(writer.Delete(files[3]));
        long afterDelete = reader.Revision;
        Assert.NotEqual(raw, afterDelete);
        Assert.Equal(afterDelete, reader.Revision);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
