// Options that change the embeddings are part of the index fingerprint: an index built with one margin-trim
// setting refuses to open with another (or none), naming the preprocessing difference.
using GpuSearch.Imaging;
using GpuSearch.Store;
using GpuSearch.Tests.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class EmbeddingOptionFingerprintTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-optfp-" + Guid.NewGuid().ToString("N"));

    [SharedFact(EngineTests.Model)]
    public void AnIndexRefusesAnotherTrimSetting()
    {
        var model = SharedData.Find(EngineTests.Model, out _)!;
        var db = Path.Combine(_dir, "db");
        var trimmed = EngineTests.Options(model) with
        {
            Preprocess = PreprocessPresets.KerasMobileNet with { Trim = new TrimSpec { Threshold = 16 } },
        };
        using (ImageSearchEngine.Open(db, trimmed)) { }
        using (ImageSearchEngine.Open(db, trimmed)) { } // the same setting opens

        foreach (var other in new[] { PreprocessPresets.KerasMobileNet, PreprocessPresets.KerasMobileNet with { Trim = new TrimSpec { Threshold = 30 } } })
        {
            var e = Assert.Throws<FingerprintMismatchException>(() => ImageSearchEngine.Open(db, EngineTests.Options(model) with { Preprocess = other }));
            Assert.Contains("trim", e.Message);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
