// Near-duplicate detection: the tiled device range search must find exactly the pairs a brute-force scalar
// all-pairs scan finds, union-find must give the connected groups, and on real photos with planted copies
// (re-encoded by cjpeg and resized in the test, plus one byte-identical file) precision and recall must be ≥ 0.95
// with the default model and the default threshold.
using System.Diagnostics;
using GpuSearch.Dedup;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Search;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Engine;

[Trait("Backend", "OpenCL")]
public sealed class DedupTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-dedup-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [Fact]
    public void TiledRangeSearchFindsThePairsOfABruteForceScan()
    {
        // Clusters of near-identical unit vectors among random ones; tiles of 7 rows over 60 items.
        const int n = 60, d = 16;
        var rng = new Random(5);
        var v = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                v[i * d + j] = i % 10 < 3 && i >= 10 ? v[(i % 10) * d + j] + (float)(rng.NextDouble() * 0.05) : (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++) norm += v[i * d + j] * v[i * d + j];
            for (int j = 0; j < d; j++) v[i * d + j] = (float)(v[i * d + j] / Math.Sqrt(norm));
        }
        var ids = Enumerable.Range(0, n).Select(i => 100L + i).ToArray();
        using var index = new FlatIndex(Devices.Cpu, d);
        index.Add(v, ids);
        var tiles = Enumerable.Range(0, (n + 6) / 7).Select(t =>
        {
            int s = t * 7, c = Math.Min(7, n - s);
            return (ids[s..(s + c)], v[(s * d)..((s + c) * d)]);
        });
        var hashes = ids.ToDictionary(id => id, id => id == 150 || id == 151 ? "same" : id.ToString());
        const float threshold = 0.9f;
        var report = NearDuplicates.Find(index, tiles, hashes, new DedupOptions { Threshold = threshold });

        var want = new HashSet<(long, long)>();
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += v[a * d + j] * v[b * d + j];
                if (dot > threshold) want.Add((ids[a], ids[b]));
            }
        want.Add((150, 151)); // identical content hash, whatever the vectors say
        Assert.True(want.Count > 10, $"the fixture should plant clusters, found {want.Count} pairs");
        Assert.Equal(want.Order(), report.Pairs.Select(p => (p.A, p.B)).Order());
        Assert.True(report.Pairs.Single(p => (p.A, p.B) == (150, 151)).Identical);
        Assert.Equal(0, report.Truncated);
        // Groups are the connected components of the pairs.
        foreach (var g in report.Groups)
            Assert.All(g.Skip(1), id => Assert.Contains(report.Pairs, p => p.A == id || p.B == id));
        Assert.Equal(report.Pairs.SelectMany(p => new[] { p.A, p.B }).Distinct().Count(), report.Groups.Sum(g => g.Count));

        var capped = NearDuplicates.Find(index, tiles, hashes, new DedupOptions { Threshold = threshold, MaxNeighbours = 1 });
        Assert.True(capped.Truncated > 0);
    }

    [Fact]
    public void UnionFindJoinsChains()
    {
        var groups = NearDuplicates.Group([new(1, 2, 1, false), new(5, 6, 1, false), new(2, 9, 1, false), new(9, 3, 1, false)]);
        Assert.Equal(2, groups.Count);
        Assert.Equal([1L, 2, 3, 9], groups[0]);
        Assert.Equal([5L, 6], groups[1]);
    }

    // Distinct photos of Debian's opencv-doc (scripts/fetch-demo-photos.sh): no stereo pairs or series among them.
    private static readonly string[] DistinctPhotos =
    [
        "baboon.jpg", "fruits.jpg", "building.jpg", "butterfly.jpg", "home.jpg", "board.jpg", "starry_night.jpg", "messi5.jpg",
        "orange.jpg", "squirrel_cls.jpg", "smarties.png", "aero1.jpg", "pca_test1.jpg", "stuff.jpg", "licenseplate_motion.jpg",
        "cards.png", "sudoku.png", "chicky_512.png",
    ];

    private static string DemoPhotos => Path.Combine(Environment.GetEnvironmentVariable("GPUSEARCH_DEMO") is { Length: > 0 } d ? d
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "demo"), "photos");

    private sealed class DemoPhotosFactAttribute : FactAttribute
    {
        public DemoPhotosFactAttribute()
        {
            if (DistinctPhotos.FirstOrDefault(p => !File.Exists(Path.Combine(DemoPhotos, p))) is { } missing)
                Skip = $"{Path.Combine(DemoPhotos, missing)} is absent (scripts/fetch-demo-photos.sh fetches the demo photos; make test runs it)";
        }
    }

    [DemoPhotosFact]
    public void PlantedCopiesAreFoundWithPrecisionAndRecallAtLeast95Percent()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "photos")).FullName;
        var family = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var photo in DistinctPhotos)
        {
            var src = Path.Combine(DemoPhotos, photo);
            var name = Path.GetFileNameWithoutExtension(src);
            var img = ImageDecoder.DecodeFile(src);
            var original = Path.Combine(folder, name + Path.GetExtension(src));
            File.Copy(src, original);
            family[original] = name;
            // A PNG at 60 % of the size, a JPEG q50 at full size, a JPEG q75 at 40 %.
            var small = Thumbnail.Fit(img.PixelArray, img.Width, img.Height, Math.Max(img.Width, img.Height) * 3 / 5);
            var png = Path.Combine(folder, name + "-png60.png");
            File.WriteAllBytes(png, TestPng.EncodeRgb(small.Rgb, small.Width, small.Height));
            family[png] = name;
            family[Jpeg(img.PixelArray, img.Width, img.Height, 50, Path.Combine(folder, name + "-q50.jpg"))] = name;
            var tiny = Thumbnail.Fit(img.PixelArray, img.Width, img.Height, Math.Max(img.Width, img.Height) * 2 / 5);
            family[Jpeg(tiny.Rgb, tiny.Width, tiny.Height, 75, Path.Combine(folder, name + "-q75-40.jpg"))] = name;
        }
        var identical = Path.Combine(folder, "copy-of-" + Path.GetFileName(family.Keys.First()));
        File.Copy(family.Keys.First(), identical);
        family[identical] = family[family.Keys.First()];

        using var engine = ImageSearchEngine.Open(Path.Combine(_dir, "db"), new EngineOptions
        {
            Device = "cpu", ModelPath = DefaultModel.RequirePath(), BatchSize = 8, DecodeWorkers = 2,
        });
        var added = engine.AddImagesAsync([folder]).GetAwaiter().GetResult();
        Assert.Equal(family.Count, added.Added);
        var report = engine.FindDuplicates();
        var paths = engine.Items().ToDictionary(i => i.Id, i => i.Path);
        var truth = new HashSet<(string, string)>();
        var files = family.Keys.Order(StringComparer.Ordinal).ToArray();
        for (int a = 0; a < files.Length; a++)
            for (int b = a + 1; b < files.Length; b++)
                if (family[files[a]] == family[files[b]]) truth.Add((files[a], files[b]));
        var found = report.Pairs.Select(p => string.CompareOrdinal(paths[p.A], paths[p.B]) < 0 ? (paths[p.A], paths[p.B]) : (paths[p.B], paths[p.A])).ToHashSet();
        int correct = found.Count(truth.Contains);
        double precision = found.Count == 0 ? 0 : (double)correct / found.Count, recall = (double)correct / truth.Count;
        output.WriteLine($"{files.Length} images, {truth.Count} true pairs; found {found.Count} pairs in {report.Groups.Count} groups: precision {precision:F3}, recall {recall:F3}");
        foreach (var p in report.Pairs.Where(p => !truth.Contains(string.CompareOrdinal(paths[p.A], paths[p.B]) < 0 ? (paths[p.A], paths[p.B]) : (paths[p.B], paths[p.A]))))
            output.WriteLine($"false pair {Path.GetFileName(paths[p.A])} ~ {Path.GetFileName(paths[p.B])} {p.Score:F4}");
        output.WriteLine($"lowest true pair {report.Pairs.Where(p => p.Score < 1).Select(p => p.Score).DefaultIfEmpty(1).Min():F4}");
        Assert.True(precision >= 0.95 && recall >= 0.95, $"precision {precision:F3}, recall {recall:F3}");
        Assert.Contains(report.Pairs, p => p.Identical && (paths[p.A] == identical || paths[p.B] == identical));
    }

    private static string Jpeg(byte[] rgb, int width, int height, int quality, string path)
    {
        var ppm = path + ".ppm";
        using (var f = File.Create(ppm))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"));
            f.Write(rgb, 0, width * height * 3);
        }
        var psi = new ProcessStartInfo("cjpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-quality", quality.ToString(System.Globalization.CultureInfo.InvariantCulture), "-outfile", path, ppm }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        File.Delete(ppm);
        Assert.True(p.ExitCode == 0, $"cjpeg failed: {err}");
        return path;
    }
}
