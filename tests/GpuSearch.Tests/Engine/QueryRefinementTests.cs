// The query options of copy detection on a small real index (tiny generated CNN, 8 images): each option's hits are
// compared with the plain hits transformed by its definition, computed here from the stored vectors in double.
using System.Text.Json;
using GpuSearch.Cli;
using GpuSearch.Cli.Commands;
using GpuSearch.Store;
using static GpuSearch.Tests.Engine.RefinementIndex;
using static GpuSearch.Tests.Engine.WhiteningTests;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class QueryRefinementTests : IDisposable
{
    private readonly RefinementIndex _ix = new();

    public void Dispose() => _ix.Dispose();

    private static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);

    [Fact]
    public void Exclude_self_drops_the_same_path_and_the_same_bytes()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var self = engine.FindItem(_ix.Image(0))!.Id;
        var plain = Query(engine, _ix.Image(0), 8, new QueryRefinement());
        Assert.Equal(self, plain[0].Id);
        Assert.Equal(plain.Skip(1).Take(3), Query(engine, _ix.Image(0), 3, new QueryRefinement { ExcludeSelf = true }));
        // A copy elsewhere has another path but the same bytes: the content hash finds it.
        var copy = Path.Combine(Directory.CreateDirectory(Path.Combine(_ix.Root, "q")).FullName, "copy.png");
        File.Copy(_ix.Image(0), copy);
        Assert.Equal(self, Query(engine, copy, 1, new QueryRefinement())[0].Id);
        Assert.DoesNotContain(Query(engine, copy, 8, new QueryRefinement { ExcludeSelf = true }), h => h.Id == self);
        Assert.Equal(7, Query(engine, copy, 8, new QueryRefinement { ExcludeSelf = true }).Count);
    }

    [Fact]
    public void Min_score_keeps_exactly_the_hits_at_or_above_it()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var plain = Query(engine, _ix.Image(3), 8, new QueryRefinement());
        float cut = (plain[2].Score + plain[3].Score) / 2;
        Assert.True(plain[2].Score > plain[3].Score, "the fixture needs distinct scores");
        Assert.Equal(plain.Take(3), Query(engine, _ix.Image(3), 8, new QueryRefinement { MinScore = cut }));
        Assert.Empty(Query(engine, _ix.Image(3), 8, new QueryRefinement { MinScore = 1.5f }));
    }

    [Fact]
    public void Query_expansion_searches_with_the_alpha_weighted_mean()
    {
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var items = engine.Items();
        var q = engine.Embed([_ix.Image(5)]).Vectors.ToArray();
        var plain = engine.Search(q, 8)[0];
        const int n = 2;
        const float alpha = 2f;
        var expanded = q.Select(v => (double)v).ToArray();
        foreach (var h in plain.Take(n))
        {
            double w = Math.Pow(Math.Max(h.Score, 0), alpha);
            var x = engine.GetVector(h.Id)!;
            for (int j = 0; j < expanded.Length; j++) expanded[j] += w * x[j];
        }
        double norm = Math.Sqrt(expanded.Sum(v => v * v));
        var qe = expanded.Select(v => (float)(v / norm)).ToArray();
        var want = items.Select(i => (i.Id, Score: Dot(qe, engine.GetVector(i.Id)!))).OrderByDescending(p => p.Score).Take(5).ToArray();
        var got = Query(engine, _ix.Image(5), 5, new QueryRefinement { ExpansionNeighbours = n, ExpansionAlpha = alpha });
        Assert.Equal(want.Select(p => p.Id), got.Select(h => h.Id));
        Assert.Equal(want.Select(p => p.Score), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.NotEqual(plain.Take(5).Select(h => h.Score), got.Select(h => h.Score));
    }

    [Fact]
    public async Task Background_normalisation_subtracts_beta_times_the_mean_of_the_top_n()
    {
        var bgDb = Path.Combine(_ix.Root, "bg");
        using (var bgEngine = ImageSearchEngine.Open(bgDb, Options(_ix.ModelPath)))
            Assert.Equal(6, (await bgEngine.AddImagesAsync([Images(_ix.Root, 6, seed: 9)])).Added);
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        var q = engine.Embed([_ix.Image(1)]).Vectors.ToArray();
        float[][] bg;
        using (var bgEngine = ImageSearchEngine.Open(bgDb, Options(_ix.ModelPath) with { ReadOnly = true, CreateIfMissing = false }))
            bg = bgEngine.Items().Select(i => bgEngine.GetVector(i.Id)!).ToArray();
        const int n = 3;
        const float beta = 0.5f;
        double shift = beta * bg.Select(b => Dot(q, b)).OrderDescending().Take(n).Average();
        var plain = engine.Search(q, 8)[0];
        using var background = engine.LoadBackground(bgDb, n, beta);
        Assert.Equal(6, background.Count);
        var got = Query(engine, _ix.Image(1), 8, new QueryRefinement { Background = background });
        Assert.Equal(plain.Select(h => h.Id), got.Select(h => h.Id)); // one query's order never changes
        Assert.Equal(plain.Select(h => h.Score - shift), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        // The minimum score applies to the normalised scores.
        float cut = (got[1].Score + got[2].Score) / 2;
        Assert.Equal(got.Take(2), Query(engine, _ix.Image(1), 8, new QueryRefinement { Background = background, MinScore = cut }));
        // A background made by another model is refused, not mixed in.
        var otherDb = Path.Combine(_ix.Root, "other");
        using (var other = ImageSearchEngine.Open(otherDb, Options(Model(_ix.Root, seed: 11))))
            await other.AddImagesAsync([_ix.ImageFolder]);
        Assert.Throws<FingerprintMismatchException>(() => engine.LoadBackground(otherDb));
    }

    [Fact]
    public async Task Descriptor_stretching_scales_each_query_by_factor_times_its_nth_background_distance()
    {
        var bgDb = Path.Combine(_ix.Root, "bg");
        using (var bgEngine = ImageSearchEngine.Open(bgDb, Options(_ix.ModelPath)))
            Assert.Equal(6, (await bgEngine.AddImagesAsync([Images(_ix.Root, 6, seed: 9)])).Added);
        using var engine = ImageSearchEngine.Open(_ix.Db, Options(_ix.ModelPath));
        float[][] bg;
        using (var bgEngine = ImageSearchEngine.Open(bgDb, Options(_ix.ModelPath) with { ReadOnly = true, CreateIfMissing = false }))
            bg = bgEngine.Items().Select(i => bgEngine.GetVector(i.Id)!).ToArray();
        const int n = 2, bgN = 3;
        const float factor = 1.5f, beta = 0.5f;
        using var stretchOnly = engine.LoadBackground(bgDb, bgN, beta: 0f);
        using var both = engine.LoadBackground(bgDb, bgN, beta);
        var scales = new List<double>();
        foreach (var image in new[] { _ix.Image(2), _ix.Image(6) })
        {
            var q = engine.Embed([image]).Vectors.ToArray();
            var sims = bg.Select(b => Dot(q, b)).OrderDescending().ToArray();
            double scale = factor * Math.Sqrt(Math.Max(0, 2 - 2 * sims[n - 1])), shift = beta * sims.Take(bgN).Average();
            scales.Add(scale);
            var plain = engine.Search(q, 8)[0];
            var got = Query(engine, image, 8, new QueryRefinement { Background = stretchOnly, StretchNeighbours = n, StretchFactor = factor });
            Assert.Equal(plain.Select(h => h.Id), got.Select(h => h.Id)); // one query's order never changes
            Assert.Equal(plain.Select(h => h.Score * scale), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
            // With the subtraction on too, stretching scales the subtracted scores.
            got = Query(engine, image, 8, new QueryRefinement { Background = both, StretchNeighbours = n, StretchFactor = factor });
            Assert.Equal(plain.Select(h => h.Id), got.Select(h => h.Id));
            Assert.Equal(plain.Select(h => (h.Score - shift) * scale), got.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        }
        Assert.True(Math.Abs(scales[0] - scales[1]) > 1e-4, $"scales {scales[0]} and {scales[1]}"); // the two queries are scaled differently, which is the point
        // Refused before any work: no background, n above the background's size, a factor that is not > 0.
        await Assert.ThrowsAsync<ArgumentException>(async () => await engine.QueryImagesRefinedAsync([_ix.Image(2)], 4, new QueryRefinement { StretchNeighbours = 1 }).ToListAsync());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.QueryImagesRefinedAsync([_ix.Image(2)], 4,
            new QueryRefinement { Background = stretchOnly, StretchNeighbours = 7 }).ToListAsync());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.QueryImagesRefinedAsync([_ix.Image(2)], 4,
            new QueryRefinement { Background = stretchOnly, StretchNeighbours = 1, StretchFactor = 0f }).ToListAsync());
    }

    [Fact]
    public async Task Query_command_passes_the_options_through()
    {
        var sw = new StringWriter();
        var options = new EngineOptions { Device = "cpu", BatchSize = 4, DecodeWorkers = 2 };
        Assert.Equal(0, await QueryCommand.RunAsync([_ix.Image(0)], _ix.Db, 8, "json", null, options, sw, default,
            new QueryRefinementArgs(MinScore: -1f, ExcludeSelf: true)));
        var hits = JsonDocument.Parse(sw.ToString()).RootElement[0].GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("path").GetString()).ToArray();
        Assert.Equal(7, hits.Length);
        Assert.DoesNotContain(Path.GetFullPath(_ix.Image(0)), hits);
        await Assert.ThrowsAsync<ArgumentException>(() => QueryCommand.RunAsync([_ix.Image(0)], _ix.Db, 8, "json", null, options, TextWriter.Null, default,
            new QueryRefinementArgs(Qe: -1)));
    }
}
