// Fuzzing with a fixed seed: corpus files (go-fuzz corpora and conformance images) with random byte
// flips, truncations and splices. Every decode runs under a timeout; the only acceptable outcomes are a
// decoded image or ImageDecodeException — no other exception, no hang, no crash.
using System.Diagnostics;
using GpuSearch.Imaging;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging;

public sealed class DecodeFuzzTests(ITestOutputHelper log)
{
    private const int Seed = 20261122;
    private const int Cases = 15000; // ~12 s on 2 cores
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);
    // Mutated headers easily claim tens of megapixels; keep each case cheap without changing what is tested.
    private static readonly DecodeOptions Options = new() { MaxPixels = 4_000_000 };

    [SharedFact("testdata/decoders/go_fuzz_corpus")]
    public void Unmodified_fuzz_corpus_decodes_or_throws_typed()
    {
        var files = Seeds();
        int ok = 0, typed = 0;
        foreach (var f in files)
        {
            if (Run(File.ReadAllBytes(f), f)) ok++; else typed++;
        }
        log.WriteLine($"fuzz corpora as is: {files.Count} files, {ok} decoded, {typed} ImageDecodeException");
    }

    // Runs everywhere: without ../shared it mutates the committed generated fixtures only.
    [Fact]
    public void Mutated_files_decode_or_throw_typed_within_timeout()
    {
        var files = Seeds();
        var sw = Stopwatch.StartNew();
        int ok = 0, typed = 0;
        var lockObj = new object();
        Parallel.For(0, Cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var rng = new Random(Seed + i);
            var src = File.ReadAllBytes(files[rng.Next(files.Count)]);
            var data = Mutate(src, rng);
            bool decoded = Run(data, $"case {i}");
            lock (lockObj) { if (decoded) ok++; else typed++; }
        });
        log.WriteLine($"fuzz: seed {Seed}, {Cases} cases over {files.Count} seed files in {sw.Elapsed.TotalSeconds:F1} s: " +
                      $"{ok} decoded, {typed} ImageDecodeException, 0 other");
    }

    /// <summary>Decodes on a worker with a timeout; true when decoded, false for ImageDecodeException.</summary>
    private static bool Run(byte[] data, string name)
    {
        var task = Task.Run(() => ImageDecoder.Decode(data, name, Options));
        try
        {
            if (!task.Wait(PerCase)) Assert.Fail($"{name}: decode did not finish within {PerCase.TotalSeconds} s");
            return true;
        }
        catch (AggregateException ae) when (ae.InnerException is ImageDecodeException) { return false; }
        catch (AggregateException ae)
        {
            Assert.Fail($"{name}: {ae.InnerException?.GetType().Name}: {ae.InnerException}");
            return false;
        }
    }

    internal static byte[] Mutate(byte[] src, Random rng)
    {
        var data = (byte[])src.Clone();
        int kind = rng.Next(4);
        if (kind is 0 or 2 && data.Length > 0)
        {
            int flips = 1 + rng.Next(rng.Next(2) == 0 ? 4 : 32);
            // Most flips land early, where headers and tables live and decoders make their decisions.
            for (int k = 0; k < flips; k++)
            {
                int pos = rng.Next(2) == 0 ? rng.Next(Math.Min(data.Length, 512)) : rng.Next(data.Length);
                data[pos] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => (byte)(data[pos] ^ (1 << rng.Next(8))), _ => 0xFF };
            }
        }
        if (kind is 1 or 2 && data.Length > 1) data = data[..rng.Next(1, data.Length)];
        if (kind == 3 && data.Length > 16)
        {
            // Splice: duplicate or drop a run, shifting everything after it (breaks lengths and offsets).
            int a = rng.Next(data.Length), len = rng.Next(1, Math.Min(256, data.Length - a) + 1);
            data = rng.Next(2) == 0 ? [.. data[..a], .. data[a..(a + len)], .. data[a..]] : [.. data[..a], .. data[(a + len)..]];
        }
        return data;
    }

    private static List<string> Seeds()
    {
        var list = Directory.GetFiles(Path.Combine(Support.SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "decode", "generated"))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (Support.SharedData.Find(Corpus.Root, out _) is not { } root) return list;
        var sources = new[] { "go_fuzz_corpus/png", "go_fuzz_corpus/jpeg", "go_fuzz_corpus/gif", "go_fuzz_corpus/webp", "go_fuzz_corpus/bmp",
            "go_image_testdata", "giflib_pic", "pngsuite_full" };
        foreach (var sub in sources.Where(s => Directory.Exists(Path.Combine(root, s))))
            list.AddRange(Directory.GetFiles(Path.Combine(root, sub), "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".go", StringComparison.Ordinal) && !f.EndsWith(".txt", StringComparison.Ordinal)
                            && new FileInfo(f).Length <= 64 << 10)
                .OrderBy(f => f, StringComparer.Ordinal));
        return list;
    }
}
