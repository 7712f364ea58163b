// The database-side augmentation re-rank (QueryRefinement.AugmentationNeighbours) on a small real index (tiny generated
// CNN, 8 images) against a scalar reference computed here in double from the stored vectors: every shortlisted item
// becomes normalise(x + Σ max(s_i, 0)^α x_i) over its n best other items, and the query is scored against those.
using static GpuSearch.Tests.Engine.RefinementIndex;
using static GpuSearch.Tests.Engine.WhiteningTests;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class DatabaseAugmentationTests : IDisposable
{
    private readonly RefinementIndex _ix = new();

    public void Dispose() => _ix.Dispose();

    private static double Dot(float[] a, double[] b) => a.Zip(b).Sum(p => p.First * p.Second);

    /// <summary>The augmented vector of stored item <paramref name="id"/>, by brute force over all stored vectors.</summary>
    private static double[] Augmented(Dictionary<long, float[]> stored, long id, int n, float alpha)
    {
        var x = stored[id];
        var sum = x.Select(v => (double)v).ToArray();
        var neighbours = stored.Where(p => p.Key != id)
            .Select(p => (Vector: p.Value, Score: x.Zip(p.Value).Sum(t => (double)t.First * t.Second)))
            .OrderByDescending(p => p.Score).Take(n);
        foreach (var (v, s) in neighbours)
        {
            double w = Math.Pow(Math.Max(s, 0), alpha);
            for (int j = 0; j < sum.Length; j++) sum[j] += w * v[j];
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        return sum.Select(v => v / norm).ToArray();
    }

    /// <summary>The reference re-rank: the plain top-<paramref name="shortlist"/> scored against augmented vectors, best k.</summary>
    private static (long Id, double Score)[] Reference(ImageSearchEngine engine, float[] q, int k, int shortlist, int n, float alpha)
    {
        var stored = engine.Items().ToDictionary(i => i.Id, i => engine.GetVector(i.Id)!);
        return engine.Search(q, shortlist)[0]
            .Select(h => (h.Id, Score: Dot(q, Augmented(stored, h.Id, n, alpha))))
            .OrderByDescending(p => p.Score).Take(k).ToArray();
    }

    [Fact]
    public void Shortlist_is_rescored_against_the_augmented_vectors()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var q = engine.Embed([_ix.Image(5)]).Vectors.ToArray();
        const int n = 2;
        const float alpha = 2f;
        var want = Reference(engine, q, 5, 8, n, alpha);
        var got = Query(engine, _ix.Image(5), 5, new QueryRefinement { AugmentationNeighbours = n, AugmentationAlpha = alpha });
        Assert.Equal(want.Select(p => p.Id), got.Select(h => h.Id));
        Assert.Equal(want.Select(p => p.Score), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        var plain = Query(engine, _ix.Image(5), 5, new QueryRefinement());
        Assert.NotEqual(plain.Select(h => h.Score), got.Select(h => h.Score));
    }

    [Fact]
    public void Only_the_shortlist_is_reranked()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var q = engine.Embed([_ix.Image(2)]).Vectors.ToArray();
        var want = Reference(engine, q, 2, 3, 1, 3f);
        var got = Query(engine, _ix.Image(2), 2, new QueryRefinement { AugmentationNeighbours = 1, AugmentationShortlist = 3 });
        Assert.Equal(want.Select(p => p.Id), got.Select(h => h.Id));
        Assert.Equal(want.Select(p => p.Score), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        var plainTop3 = engine.Search(q, 3)[0].Select(h => h.Id).ToHashSet();
        Assert.All(got, h => Assert.Contains(h.Id, plainTop3));
        // k above the shortlist: the shortlist grows to k, so every hit is still returned.
        Assert.Equal(6, Query(engine, _ix.Image(2), 6, new QueryRefinement { AugmentationNeighbours = 1, AugmentationShortlist = 3 }).Count);
    }

    [Fact]
    public async Task Bad_settings_are_refused_before_any_work()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        foreach (var bad in new[]
                 {
                     new QueryRefinement { AugmentationNeighbours = -1 },
                     new QueryRefinement { AugmentationNeighbours = 1, AugmentationAlpha = float.NaN },
                     new QueryRefinement { AugmentationNeighbours = 1, AugmentationAlpha = -1 },
                     new QueryRefinement { AugmentationNeighbours = 1, AugmentationShortlist = 0 },
                 })
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.QueryImagesRefinedAsync([_ix.Image(0)], 2, bad).ToListAsync());
    }
}
