// Measures exact-scan tunables on the actual device, like ConvTuner does for conv tiles: each candidate runs a few
// search cases (one query, a batch, a k beyond the fused kernel's lists), its answers are checked exactly against a
// host reference (a wrong candidate is never chosen, whatever its speed), and the fastest correct one is stored.
using GpuSearch.Compute;
using GpuSearch.Search;

namespace GpuSearch.Models.Tuning;

/// <summary>One search the scan tuner times: <paramref name="Queries"/> queries, top <paramref name="K"/>.</summary>
/// <param name="Queries">Batch size.</param>
/// <param name="K">Neighbours per query; above <see cref="ScanTuning.FusedMaxK"/> it takes the radix-select path.</param>
internal sealed record ScanCase(int Queries, int K);

/// <summary>One candidate's outcome.</summary>
/// <param name="Tiles">The candidate.</param>
/// <param name="TotalMs">Sum over the cases of the best time per case (ms); NaN when rejected.</param>
/// <param name="PerCaseMs">Best time per case (ms), in case order.</param>
/// <param name="Rejection">Why it was rejected (wrong answer, failed to compile or launch), or null.</param>
internal sealed record ScanCandidateResult(ScanTiles Tiles, double TotalMs, IReadOnlyList<double> PerCaseMs, string? Rejection);

/// <summary>What a scan tuning run found.</summary>
/// <param name="Class">Device class.</param>
/// <param name="Isa">Host CPU vector ISA.</param>
/// <param name="Default">The shipped default (always measured).</param>
/// <param name="Winner">The fastest correct candidate.</param>
/// <param name="Candidates">Every candidate's outcome.</param>
/// <param name="CachePath">Where the winner was stored, or null when not stored.</param>
/// <param name="Skipped">Candidates left unmeasured because the time budget was spent (lazy tuning).</param>
internal sealed record ScanTuneResult(DeviceClass Class, string Isa, ScanTiles Default, ScanTiles Winner,
    IReadOnlyList<ScanCandidateResult> Candidates, string? CachePath, int Skipped = 0)
{
    /// <summary>The default's outcome.</summary>
    public ScanCandidateResult DefaultResult => Candidates.First(c => c.Tiles == Default);
    /// <summary>The winner's outcome.</summary>
    public ScanCandidateResult WinnerResult => Candidates.First(c => c.Tiles == Winner);
}

/// <summary>Tunes the exact scan for one device on a database of <paramref name="rows"/> × <paramref name="dimension"/>.</summary>
internal sealed class ScanTuner(ComputeDevice device, int rows = 65536, int dimension = 256)
{
    /// <summary>One query (latency), a batch of 64 (the batch query tile), a large k (radix select).</summary>
    public static IReadOnlyList<ScanCase> RepresentativeCases { get; } = [new(1, 10), new(64, 10), new(16, 512)];

    /// <summary>Test hook: may alter a candidate's answer before it is checked.</summary>
    internal Action<ScanTiles, SearchResult>? ResultFilter { get; init; }

    /// <summary>
    /// Checks the default and every candidate on every case, then times the correct ones in <paramref name="reps"/>
    /// interleaved rounds (best per case), picks the fastest correct one and, when <paramref name="cacheDirectory"/>
    /// is given, stores it there. With a <paramref name="budget"/> (lazy tuning), candidates are taken in order while
    /// the next check (estimated by the slowest so far) ends within 70 % of it, and timing rounds stop when the next
    /// round (estimated by the last) would end past it; the default is always checked and timed once.
    /// </summary>
    public ScanTuneResult Run(IEnumerable<ScanTiles> candidates, IReadOnlyList<ScanCase> cases, int reps, string? cacheDirectory,
        Action<ScanCandidateResult>? progress = null, TimeSpan? budget = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentOutOfRangeException.ThrowIfLessThan(reps, 1);
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, "The tuning database needs at least one row");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The tuning vectors need at least one dimension");
        if (cases.Count == 0) throw new ArgumentException("No cases to tune on", nameof(cases));
        foreach (var c in cases)
            if (c.Queries < 1 || c.K < 1 || c.K > rows) throw new ArgumentOutOfRangeException(nameof(cases), c, $"needs Q ≥ 1 and 1 ≤ k ≤ {rows}");
        var timeBudget = new TuningBudget(budget);
        var cls = DeviceClassifier.Classify(device.Info);
        var def = TuningDefaults.For(cls).ScanDefault;
        var offered = new[] { def }.Concat(candidates).Distinct().ToList();

        // Small integers: every dot product is exact in fp32, so the reference answer is exact and a correct
        // candidate must reproduce it bit for bit (ties may come in any order, their scores may not differ).
        var rng = new Random(4321);
        var db = new float[(long)rows * dimension];
        for (long i = 0; i < db.LongLength; i++) db[i] = rng.Next(-3, 4);
        int maxQ = cases.Max(c => c.Queries);
        var queries = new float[(long)maxQ * dimension];
        for (long i = 0; i < queries.LongLength; i++) queries[i] = rng.Next(-3, 4);
        var exact = ExactScores(db, queries, maxQ);
        var top = TopScores(exact, maxQ, cases.Max(c => c.K));

        using var index = new FlatIndex(device, dimension);
        index.Add(db, Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
        // Correctness first: it is also the warm-up that compiles each candidate's kernels.
        var (all, rejections) = timeBudget.Check(offered, t => Check(index, t, cases, queries, exact, top));
        var best = TimedRounds.Best(all.Where(t => rejections[t] is null).ToList(), cases.Count, reps, (t, i) =>
        {
            index.Tuning = new ScanTuning { Tiles = t };
            index.Search(queries.AsSpan(0, cases[i].Queries * dimension), cases[i].K, Metric.Ip);
        }, out int rounds, timeBudget.AnotherRound);
        // A budget that ran out in the first timing round leaves the candidates it did not reach out (unmeasured).
        all = [.. all.Where(t => rejections[t] is not null || best.ContainsKey(t))];
        var results = all.Select(t => rejections[t] is { } why ? new ScanCandidateResult(t, double.NaN, [], why)
            : new ScanCandidateResult(t, best[t].Sum(), best[t], null)).ToList();
        if (progress is not null) foreach (var r in results) progress(r);
        var winner = results.Where(r => r.Rejection is null).MinBy(r => r.TotalMs)
            ?? throw new InvalidOperationException($"No scan candidate answered correctly on {device.Info.Id}; the default was rejected: {results[0].Rejection}");
        // A budgeted (lazy) run keeps the default unless a candidate repeats its lead (TuningBudget.MayReplaceDefault).
        if (winner != results[0] && results[0].Rejection is null && !timeBudget.MayReplaceDefault(winner.TotalMs, results[0].TotalMs, rounds))
            winner = results[0];
        string? path = null;
        if (cacheDirectory is not null)
        {
            var entry = new ScanTuningEntry(device.Info.Name, device.Info.DriverVersion, TuningCache.ScanKernelHash(device.Info.Backend),
                cls.ToString(), DeviceClassifier.HostCpuIsa, winner.Tiles, winner.TotalMs, results[0].TotalMs, DateTime.UtcNow);
            path = TuningCache.WriteScan(cacheDirectory, device.Info, entry);
        }
        return new ScanTuneResult(cls, DeviceClassifier.HostCpuIsa, def, winner.Tiles, results, path, offered.Count - all.Count);
    }

    /// <summary>Every query's exact score against every row (row-major Q × N).</summary>
    private float[] ExactScores(float[] db, float[] queries, int nq)
    {
        var s = new float[(long)nq * rows];
        Parallel.For(0, nq, q =>
        {
            var qv = queries.AsSpan(q * dimension, dimension);
            for (int r = 0; r < rows; r++)
            {
                var x = db.AsSpan(r * dimension, dimension);
                long acc = 0;
                for (int j = 0; j < dimension; j++) acc += (long)qv[j] * (long)x[j];
                s[(long)q * rows + r] = acc;
            }
        });
        return s;
    }

    /// <summary>Each query's best <paramref name="k"/> exact scores, descending (sorted once, shared by every candidate).</summary>
    private float[][] TopScores(float[] exact, int nq, int k)
    {
        var top = new float[nq][];
        Parallel.For(0, nq, q =>
        {
            var row = exact.AsSpan(q * rows, rows).ToArray();
            Array.Sort(row);
            top[q] = row[^k..];
            Array.Reverse(top[q]);
        });
        return top;
    }

    /// <summary>Null when the candidate answers every case exactly, else why not.</summary>
    private string? Check(FlatIndex index, ScanTiles tiles, IReadOnlyList<ScanCase> cases, float[] queries, float[] exact, float[][] top)
    {
        try { tiles.Validate(); }
        catch (ArgumentException e) { return "invalid: " + e.Message; }
        if (tiles.SelectGroupSize > device.Info.MaxWorkGroupSize) return $"invalid: select group {tiles.SelectGroupSize} exceeds the device's {device.Info.MaxWorkGroupSize}";
        index.Tuning = new ScanTuning { Tiles = tiles };
        foreach (var c in cases)
        {
            SearchResult got;
            try { got = index.Search(queries.AsSpan(0, c.Queries * dimension), c.K, Metric.Ip); }
            catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return $"failed on Q={c.Queries} k={c.K}: {e.Message}";
            }
            ResultFilter?.Invoke(tiles, got);
            if (Compare(got, c, exact, top) is { } wrong) return $"wrong answer on Q={c.Queries} k={c.K}: {wrong}";
        }
        return null;
    }

    private string? Compare(SearchResult got, ScanCase c, float[] exact, float[][] top)
    {
        for (int q = 0; q < c.Queries; q++)
        {
            var ids = got.IdsOf(q);
            var scores = got.ScoresOf(q);
            var seen = new HashSet<long>();
            for (int j = 0; j < c.K; j++)
            {
                float want = top[q][j];
                if (scores[j] != want) return $"query {q} rank {j}: score {scores[j]}, expected {want}";
                if (ids[j] < 0 || ids[j] >= rows || !seen.Add(ids[j])) return $"query {q} rank {j}: id {ids[j]} is not a distinct row";
                if (exact[(long)q * rows + ids[j]] != scores[j]) return $"query {q} rank {j}: row {ids[j]} scores {exact[(long)q * rows + ids[j]]}, reported {scores[j]}";
            }
        }
        return null;
    }
}
