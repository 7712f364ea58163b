// Parity with PIL, whose pixels our models were trained on. tools/make_decode_fixtures.py decoded each file
// with PIL (Debian python3-pil) under our conventions and committed size, hash, means and samples to
// Fixtures/decode/pil_parity.json. PNG, WebP, GIF and BMP must match exactly; JPEG within one level;
// 16-bit PNGs with alpha within one level (libpng rounds 16→8 where PIL truncates).
using System.Security.Cryptography;
using System.Text.Json;
using GpuSearch.Imaging;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging;

public sealed class PilParityTests(ITestOutputHelper log)
{
    private static readonly string FixtureDir = Path.Combine(SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "decode");

    [Fact]
    public void Decodes_match_PIL()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir, "pil_parity.json")));
        var corpus = SharedData.Find(Corpus.Root, out _);
        var stats = new SortedDictionary<string, int[]>(); // kind → [exact, within1, skipped]
        var problems = new List<string>();
        foreach (var e in doc.RootElement.GetProperty("entries").EnumerateArray())
        {
            var file = e.GetProperty("file").GetString()!;
            var kind = e.GetProperty("kind").GetString()!;
            var s = stats.TryGetValue(kind, out var v) ? v : stats[kind] = new int[3];
            var path = file.StartsWith("generated/", StringComparison.Ordinal) ? Path.Combine(FixtureDir, file)
                : corpus is null ? null : Path.Combine(corpus, file);
            if (path is null || !File.Exists(path)) { s[2]++; continue; }
            var opts = DecodeOptions.Default;
            string label = file;
            if (e.TryGetProperty("target", out var t))
            {
                opts = opts with { MinTargetSize = (t[0].GetInt32(), t[1].GetInt32()), DctScaling = JpegDctScaling.PilDraft };
                label += $" draft {t[0]}x{t[1]}";
            }
            DecodedImage img;
            try { img = ImageDecoder.DecodeFile(path, opts); }
            catch (ImageDecodeException ex) { problems.Add($"{label}: PIL decodes it, we threw {ex.Message}"); continue; }
            if ((img.Width, img.Height) != (e.GetProperty("w").GetInt32(), e.GetProperty("h").GetInt32()))
            {
                problems.Add($"{label}: size {img.Width}x{img.Height}, PIL {e.GetProperty("w")}x{e.GetProperty("h")}");
                continue;
            }
            var sha = Convert.ToHexStringLower(SHA256.HashData(img.PixelArray))[..32];
            if (sha == e.GetProperty("sha").GetString()) { s[0]++; continue; }
            int maxSample = MaxSampleDiff(img, e);
            double maxMean = MaxMeanDiff(img, e);
            bool oneLevelAllowed = kind == "jpeg" || Is16BitAlphaPng(path);
            if (oneLevelAllowed && maxSample <= 1 && maxMean <= 0.5) { s[1]++; continue; }
            problems.Add($"{label}: differs from PIL (max sampled diff {maxSample}, max mean diff {maxMean:F3})");
        }
        foreach (var (k, c) in stats) log.WriteLine($"{k}: {c[0]} identical to PIL, {c[1]} within 1 level, {c[2]} skipped (file absent)");
        foreach (var p in problems) log.WriteLine(p);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static int MaxSampleDiff(DecodedImage img, JsonElement e)
    {
        int max = 0;
        foreach (var s in e.GetProperty("samples").EnumerateArray())
        {
            var px = img.GetPixel(s[0].GetInt32(), s[1].GetInt32());
            max = Math.Max(max, Math.Max(Math.Abs(px.R - s[2].GetInt32()), Math.Max(Math.Abs(px.G - s[3].GetInt32()), Math.Abs(px.B - s[4].GetInt32()))));
        }
        return max;
    }

    private static double MaxMeanDiff(DecodedImage img, JsonElement e)
    {
        var sums = new double[3];
        for (int i = 0; i < img.PixelArray.Length; i++) sums[i % 3] += img.PixelArray[i];
        var mean = e.GetProperty("mean");
        double n = img.Width * (double)img.Height;
        return Enumerable.Range(0, 3).Max(c => Math.Abs(sums[c] / n - mean[c].GetDouble()));
    }

    // IHDR: bit depth at byte 24, colour type at 25 (4 = grey+alpha, 6 = RGBA).
    private static bool Is16BitAlphaPng(string path)
    {
        var head = new byte[26];
        using var f = File.OpenRead(path);
        return f.Read(head) == 26 && ImageFormats.Detect(head) == ImageFormat.Png && head[24] == 16 && head[25] is 4 or 6;
    }
}
