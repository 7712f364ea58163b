// Mutation fuzzing of the two untrusted-input front doors: image decoding and ONNX loading. A case is a
// seed file with random byte-level damage; the only acceptable outcomes are success or the documented
// exception type (ImageDecodeException; InvalidDataException / NotSupportedException for models). Anything
// else, a case running past its time limit, or the process dying (run the console harness to see which
// case) is a finding. Shared by the CI test (a few hundred cases, fixed seed) and tools/fuzz (thousands).
using System.Diagnostics;
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Models.Onnx;

namespace GpuSearch.Fuzz;

/// <summary>One finding: the case number, what happened, and the input that did it.</summary>
internal sealed record FuzzFinding(int Case, string What, byte[] Input);

/// <summary>Outcome of a run.</summary>
internal sealed record FuzzSummary(string Target, int Seed, int Cases, int Accepted, int Refused, IReadOnlyList<FuzzFinding> Findings, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{Target}: seed {Seed}, {Cases} cases in {Elapsed.TotalSeconds:F1} s: {Accepted} accepted, {Refused} refused with the documented type, {Findings.Count} findings";
}

/// <summary>A fuzz target: what runs a case and which exceptions it documents.</summary>
internal sealed record FuzzTarget(string Name, Action<byte[]> Run, Func<Exception, bool> Documented)
{
    // Mutated headers easily claim tens of megapixels; a smaller limit keeps cases cheap without changing
    // which code runs (the limit check is itself under test).
    private static readonly DecodeOptions ImageOptions = new() { MaxPixels = 4_000_000 };

    /// <summary>Decode with the engine's front door.</summary>
    public static FuzzTarget Images { get; } = new("images", d => ImageDecoder.Decode(d, "fuzz", ImageOptions), e => e is ImageDecodeException);

    /// <summary>Read, import, validate, infer shapes and optimise (everything before a device is involved).</summary>
    public static FuzzTarget Models { get; } = new("onnx", d => ModelLoader.Prepare(OnnxImporter.LoadBytes(d, "fuzz.onnx")),
        e => e is InvalidDataException or NotSupportedException);
}

internal static class FuzzHarness
{
    /// <summary>Runs <paramref name="cases"/> mutants of <paramref name="seeds"/>; case i uses Random(seed + i), so any
    /// case reproduces alone.</summary>
    public static FuzzSummary Run(FuzzTarget target, IReadOnlyList<byte[]> seeds, int cases, int seed, TimeSpan perCase,
        int parallelism, Action<string>? log = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seed inputs");
        var sw = Stopwatch.StartNew();
        int accepted = 0, refused = 0;
        var findings = new List<FuzzFinding>();
        Parallel.For(0, cases, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, i =>
        {
            var input = Case(seeds, seed, i);
            var outcome = RunOne(target, input, perCase);
            lock (findings)
            {
                if (outcome is null) accepted++;
                else if (outcome.Length == 0) refused++;
                else { findings.Add(new FuzzFinding(i, outcome, input)); log?.Invoke($"case {i}: {outcome}"); }
            }
        });
        findings.Sort((a, b) => a.Case.CompareTo(b.Case));
        return new FuzzSummary(target.Name, seed, cases, accepted, refused, findings, sw.Elapsed);
    }

    /// <summary>The input of case <paramref name="i"/>.</summary>
    public static byte[] Case(IReadOnlyList<byte[]> seeds, int seed, int i)
    {
        var rng = new Random(seed + i);
        return Mutate(seeds[rng.Next(seeds.Count)], rng);
    }

    /// <summary>null: accepted; "": refused with the documented type; otherwise what went wrong.</summary>
    private static string? RunOne(FuzzTarget target, byte[] input, TimeSpan limit)
    {
        var task = Task.Factory.StartNew(() => target.Run(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // A hung case cannot be stopped; its thread is abandoned and the case reported.
            return task.Wait(limit) ? null : $"did not finish within {limit.TotalSeconds:F0} s";
        }
        catch (AggregateException ae) when (ae.InnerException is { } e)
        {
            if (!target.Documented(e)) return $"{e.GetType().Name}: {e.Message}";
            return string.IsNullOrWhiteSpace(e.Message) ? $"{e.GetType().Name} without a message" : "";
        }
    }

    /// <summary>Byte-level damage: flips, overwrites with boundary values (huge varints, 0xFF runs), truncation,
    /// duplicated or deleted ranges, and splices of the file into itself. One to four per case.</summary>
    public static byte[] Mutate(byte[] src, Random rng)
    {
        var d = new List<byte>(src);
        int steps = 1 + rng.Next(4);
        for (int s = 0; s < steps && d.Count > 0; s++)
        {
            int at = rng.Next(d.Count);
            switch (rng.Next(7))
            {
                case 0: d[at] = (byte)rng.Next(256); break;
                case 1: d[at] ^= (byte)(1 << rng.Next(8)); break;
                case 2: // a 64-bit varint or a run of 0xFF / 0x00: sizes, counts and lengths at their limits
                    byte[] v = rng.Next(3) switch
                    {
                        0 => [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
                        1 => Enumerable.Repeat((byte)0xFF, 1 + rng.Next(8)).ToArray(),
                        _ => Enumerable.Repeat((byte)0x00, 1 + rng.Next(8)).ToArray(),
                    };
                    for (int k = 0; k < v.Length && at + k < d.Count; k++) d[at + k] = v[k];
                    break;
                case 3: d.RemoveRange(at, d.Count - at); break; // truncate
                case 4: d.RemoveRange(at, Math.Min(d.Count - at, 1 + rng.Next(64))); break;
                case 5:
                    {
                        int len = Math.Min(d.Count - at, 1 + rng.Next(256));
                        d.InsertRange(rng.Next(d.Count), d.GetRange(at, len));
                        break;
                    }
                default:
                    {
                        int from = rng.Next(src.Length), len = Math.Min(src.Length - from, 1 + rng.Next(512));
                        d.InsertRange(at, src.AsSpan(from, len).ToArray());
                        break;
                    }
            }
        }
        return d.ToArray();
    }
}
