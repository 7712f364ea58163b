// Shared helpers for the store tests: a temp folder per test, a fingerprint, deterministic items.
using System.Text;
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public abstract class StoreTestBase : IDisposable
{
    protected StoreTestBase() => Root = Directory.CreateTempSubdirectory("gpusearch-store-").FullName;

    /// <summary>Scratch folder deleted after the test; the index goes in <see cref="IndexDir"/>.</summary>
    protected string Root { get; }

    protected string IndexDir => Path.Combine(Root, "index");

    protected const int Dim = 8;

    protected static ModelFingerprint Fingerprint(string model = "m1", int dim = Dim, string pre = """{"resize": 256, "crop": 224, "mean": [0.485, 0.456, 0.406]}""")
        => new(ContentHash.Of(Encoding.UTF8.GetBytes(model)), pre, "embedding", "float32", dim);

    private protected static IndexMetadata Meta(NpyDType dtype = NpyDType.Float32, int capacity = 4) => new(Fingerprint(), dtype, capacity);

    protected static float[] Vec(int i)
    {
        var v = new float[Dim];
        for (int j = 0; j < Dim; j++) v[j] = i * 0.5f + j * 0.125f - 1; // exact in float16 as well
        return v;
    }

    private protected static ItemToAdd Item(int i, string? labels = null, string? content = null) =>
        new($"img/{i:D4}.jpg", ContentHash.Of(Encoding.UTF8.GetBytes(content ?? $"content-{i}")), 1000 + i, Vec(i), labels);

    private protected static List<ItemToAdd> Items(int from, int count) => Enumerable.Range(from, count).Select(i => Item(i)).ToList();

    protected string SegmentPath(string name) => Path.Combine(IndexDir, "segments", name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }
}
