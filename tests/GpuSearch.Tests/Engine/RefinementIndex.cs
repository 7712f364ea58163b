// The small real index the query-refinement tests search (tiny generated CNN, 8 generated images in a temporary
// folder). One per test, as each test also writes its own side indexes into the folder (bg, other, q).
using GpuSearch.Tests.Models;
using static GpuSearch.Tests.Engine.WhiteningTests;

namespace GpuSearch.Tests.Engine;

internal sealed class RefinementIndex : IDisposable
{
    private readonly TempDir _dir = new();

    public RefinementIndex()
    {
        ModelPath = Model(_dir.Path);
        ImageFolder = Images(_dir.Path, 8);
        Db = Path.Combine(_dir.Path, "db");
        using var engine = ImageSearchEngine.Open(Db, Options(ModelPath));
        if (engine.AddImagesAsync([ImageFolder]).GetAwaiter().GetResult().Added != 8) throw new InvalidOperationException("the fixture did not index 8 images");
    }

    /// <summary>The temporary folder holding everything (delete on dispose).</summary>
    public string Root => _dir.Path;
    /// <summary>The tiny generated CNN.</summary>
    public string ModelPath { get; }
    /// <summary>The folder of the 8 indexed images, img0.png..img7.png.</summary>
    public string ImageFolder { get; }
    /// <summary>The index folder.</summary>
    public string Db { get; }

    /// <summary>The path of indexed image <paramref name="i"/>.</summary>
    public string Image(int i) => Path.Combine(ImageFolder, $"img{i}.png");

    /// <summary>The hits of one image query with refinement <paramref name="r"/>.</summary>
    public static IReadOnlyList<SearchHit> Query(ImageSearchEngine engine, string file, int k, QueryRefinement r) =>
        engine.QueryImagesRefinedAsync([file], k, r).ToBlockingEnumerable().Single().Hits;

    public void Dispose() => _dir.Dispose();
}
