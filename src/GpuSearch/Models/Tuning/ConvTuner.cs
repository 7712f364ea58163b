// Measures conv tile candidates on the actual device (CLBlast's approach): each candidate runs a few
// representative shapes, its output is checked against a scalar host reference (a wrong candidate is never
// chosen, whatever its speed), and the fastest correct one is stored in the tuning cache.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>One candidate's outcome.</summary>
/// <param name="Tiles">The candidate.</param>
/// <param name="TotalMs">Sum over the shapes of the best time per shape (ms); NaN when rejected.</param>
/// <param name="PerShapeMs">Best time per shape (ms), in shape order.</param>
/// <param name="Rejection">Why it was rejected (wrong output, failed to compile or launch), or null.</param>
internal sealed record ConvCandidateResult(ConvTiles Tiles, double TotalMs, IReadOnlyList<double> PerShapeMs, string? Rejection);

/// <summary>What a tuning run found.</summary>
/// <param name="Class">Device class.</param>
/// <param name="Isa">Host CPU vector ISA (from /proc/cpuinfo).</param>
/// <param name="Default">The shipped default (always measured).</param>
/// <param name="Winner">The fastest correct candidate.</param>
/// <param name="Candidates">Every candidate's outcome, in measured order.</param>
/// <param name="CachePath">Where the winner was stored, or null when not stored.</param>
/// <param name="Skipped">Candidates left unmeasured because the time budget was spent (lazy tuning).</param>
internal sealed record ConvTuneResult(DeviceClass Class, string Isa, ConvTiles Default, ConvTiles Winner,
    IReadOnlyList<ConvCandidateResult> Candidates, string? CachePath, int Skipped = 0)
{
    /// <summary>The default's outcome.</summary>
    public ConvCandidateResult DefaultResult => Candidates.First(c => c.Tiles == Default);
    /// <summary>The winner's outcome.</summary>
    public ConvCandidateResult WinnerResult => Candidates.First(c => c.Tiles == Winner);
}

/// <summary>Tunes conv tiles for one device, on <paramref name="stream"/> (a stream of the device; its default stream when null).</summary>
internal sealed class ConvTuner(ComputeDevice device, ComputeStream? stream = null)
{
    private readonly ComputeStream _stream = stream ?? device.Stream;

    /// <summary>ResNet-style shapes: a 3×3 layer that fits one K panel, a deep 3×3 one (accumulators in local memory), a 1×1 GEMM.</summary>
    public static IReadOnlyList<Conv2dShape> RepresentativeShapes { get; } =
    [
        new(1, 64, 56, 56, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new(1, 256, 14, 14, 256, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        new(1, 128, 28, 28, 512, 1, 1),
    ];

    /// <summary>The quick run's shapes (<c>gpusearch tune --quick</c>, lazy tuning): the two 3×3 ones.</summary>
    public static IReadOnlyList<Conv2dShape> QuickShapes { get; } = [.. RepresentativeShapes.Take(2)];

    /// <summary>The quick run's candidates from a class's search space: on CPUs the register tiles nearest the shipped
    /// defaults' size (no 16-pixel or 3-row tiles), at most six.</summary>
    public static List<ConvTiles> QuickCandidates(IReadOnlyList<ConvTiles> space, bool isCpu) =>
        [.. space.Where(t => !isCpu || t.WorkPerThreadN != 16 && t.WorkPerThreadM != 3).Take(6)];

    /// <summary>Largest relative error (to the output's largest magnitude) a correct candidate may show.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Test hook: may alter a candidate's downloaded output before it is checked.</summary>
    internal Action<ConvTiles, float[]>? OutputFilter { get; init; }

    /// <summary>
    /// Checks the default and every candidate on every shape, then times the correct ones in
    /// <paramref name="reps"/> interleaved rounds (best per shape), picks the fastest correct one and, when
    /// <paramref name="cacheDirectory"/> is given, stores it there. With a <paramref name="budget"/> (lazy tuning) the
    /// checks and rounds stop as <see cref="TuningBudget"/> says; the default is always checked and timed once.
    /// </summary>
    public ConvTuneResult Run(IEnumerable<ConvTiles> candidates, IReadOnlyList<Conv2dShape> shapes, int reps, string? cacheDirectory,
        Action<ConvCandidateResult>? progress = null, TimeSpan? budget = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentOutOfRangeException.ThrowIfLessThan(reps, 1);
        if (shapes.Count == 0) throw new ArgumentException("No shapes to tune on", nameof(shapes));
        var timeBudget = new TuningBudget(budget);
        var cls = DeviceClassifier.Classify(device.Info);
        var def = TuningDefaults.For(cls).ConvDefault;
        var offered = new[] { def }.Concat(candidates).Distinct().ToList();
        var cases = shapes.Select(MakeCase).ToList();
        using var buffers = new CaseBuffers(device, _stream, cases);
        // Correctness first (it is also the warm-up that compiles), then timing rounds that visit every surviving
        // candidate in turn, so a change in load from other tenants hits all candidates alike.
        var (all, rejections) = timeBudget.Check(offered, t => Check(t, cases, buffers));
        var best = TimedRounds.Best(all.Where(t => rejections[t] is null).ToList(), cases.Count, reps, (t, i) =>
        {
            Launch(t, cases[i], buffers, i);
            _stream.Synchronize();
        }, out int rounds, timeBudget.AnotherRound);
        // A budget that ran out in the first timing round leaves the candidates it did not reach out (unmeasured).
        all = [.. all.Where(t => rejections[t] is not null || best.ContainsKey(t))];
        var results = all.Select(t => rejections[t] is { } why ? new ConvCandidateResult(t, double.NaN, [], why)
            : new ConvCandidateResult(t, best[t].Sum(), best[t], null)).ToList();
        if (progress is not null) foreach (var r in results) progress(r);
        var winner = results.Where(r => r.Rejection is null).MinBy(r => r.TotalMs)
            ?? throw new InvalidOperationException($"No conv tile candidate produced correct output on {device.Info.Id}; the default was rejected: {results[0].Rejection}");
        // A budgeted (lazy) run keeps the default unless a candidate repeats its lead (TuningBudget.MayReplaceDefault).
        if (winner != results[0] && results[0].Rejection is null && !timeBudget.MayReplaceDefault(winner.TotalMs, results[0].TotalMs, rounds))
            winner = results[0];
        string? path = null;
        if (cacheDirectory is not null)
        {
            var d = results[0];
            var entry = new TuningEntry(device.Info.Name, device.Info.DriverVersion, TuningCache.ConvKernelHash(device.Info.Backend),
                cls.ToString(), DeviceClassifier.HostCpuIsa, winner.Tiles, winner.TotalMs, d.TotalMs, DateTime.UtcNow);
            path = TuningCache.Write(cacheDirectory, device.Info, entry);
        }
        return new ConvTuneResult(cls, DeviceClassifier.HostCpuIsa, def, winner.Tiles, results, path, offered.Count - all.Count);
    }

    private sealed record Case(Conv2dShape Shape, float[] X, float[] W, float[] Bias, float[] Expected);

    private static Case MakeCase(Conv2dShape s, int index)
    {
        var rng = new Random(1234 + index);
        float[] Fill(long n, float scale) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale; return a; }
        var x = Fill(s.InputCount, 1f);
        var w = Fill(s.WeightCount, 1f / MathF.Sqrt(s.WeightCount / s.OutChannels));
        var b = Fill(s.OutChannels, 0.1f);
        return new Case(s, x, w, b, ConvReference.Run(s, x, w, b));
    }

    private sealed class CaseBuffers : IDisposable
    {
        public readonly List<(DeviceBuffer X, DeviceBuffer W, DeviceBuffer B, DeviceBuffer Y)> Items = [];

        public CaseBuffers(ComputeDevice device, ComputeStream stream, List<Case> cases)
        {
            foreach (var c in cases)
            {
                var s = c.Shape;
                var item = (device.Allocate(s.InputCount * 4), device.Allocate(s.WeightCount * 4), device.Allocate(s.OutChannels * 4L), device.Allocate(s.OutputCount * 4));
                Items.Add(item);
                stream.Upload<float>(item.Item1, c.X);
                stream.Upload<float>(item.Item2, c.W);
                stream.Upload<float>(item.Item3, c.Bias);
            }
        }

        public void Dispose()
        {
            foreach (var (x, w, b, y) in Items) { x.Dispose(); w.Dispose(); b.Dispose(); y.Dispose(); }
        }
    }

    private void Launch(ConvTiles tiles, Case c, CaseBuffers buffers, int i)
    {
        var (x, w, b, y) = buffers.Items[i];
        Conv2d.Run(_stream, c.Shape, DeviceTensor.Flat(x, 0, c.Shape.InputCount), DeviceTensor.Flat(w, 0, c.Shape.WeightCount),
            DeviceTensor.Flat(b, 0, c.Shape.OutChannels), null, DeviceTensor.Flat(y, 0, c.Shape.OutputCount), Activation.Relu, new ConvOptions(Tiles: tiles));
    }

    /// <summary>Null when the candidate runs every shape correctly, else why not.</summary>
    private string? Check(ConvTiles tiles, List<Case> cases, CaseBuffers buffers)
    {
        try { tiles.Validate(); }
        catch (ArgumentException e) { return "invalid: " + e.Message; }
        var stream = _stream;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var y = buffers.Items[i].Y;
            try
            {
                stream.Fill(y, float.NaN);
                Launch(tiles, c, buffers, i);
                stream.Synchronize();
            }
            catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return $"failed on {Describe(c.Shape)}: {e.Message}";
            }
            var got = stream.Download<float>(y, c.Shape.OutputCount);
            OutputFilter?.Invoke(tiles, got);
            if (Compare(got, c.Expected) is { } wrong) return $"wrong output on {Describe(c.Shape)}: {wrong}";
        }
        return null;
    }

    private static string? Compare(float[] got, float[] expected)
    {
        double scale = 1e-6;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < got.Length; i++)
        {
            var err = Math.Abs((double)got[i] - expected[i]);
            if (!(err <= Tolerance * scale)) return $"element {i} is {got[i]}, expected {expected[i]}";
        }
        return null;
    }

    /// <summary>A shape as N×C×H×W →M k×k /s.</summary>
    public static string Describe(Conv2dShape s) => $"{s.Batch}×{s.InChannels}×{s.Height}×{s.Width}→{s.OutChannels} {s.KernelH}×{s.KernelW}/{s.StrideH}";
}
