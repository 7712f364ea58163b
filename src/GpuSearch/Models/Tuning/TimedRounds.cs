// The timing loop the conv and scan tuners share: rounds that visit every candidate in turn, so a change in load
// from other tenants hits all candidates alike, keeping the best time per (candidate, case).
using System.Diagnostics;

namespace GpuSearch.Models.Tuning;

/// <summary>Interleaved timing rounds over tuning candidates.</summary>
internal static class TimedRounds
{
    /// <summary>
    /// Runs <paramref name="rounds"/> rounds; each round calls <paramref name="run"/>(candidate, case) once for every
    /// candidate and case (run must return only when the work is done, e.g. after a stream synchronize). Returns, per
    /// candidate, the best wall time of each case in ms. <paramref name="another"/>, when given, is asked before every
    /// round after the first with the previous round's wall time in ms, and in the first round before every candidate
    /// after the first with 0 (is any budget left?); false stops early (a time budget). Candidates the first round did
    /// not reach are left out of the answer: they were not measured beside the first (the shipped default).
    /// <paramref name="completed"/> is the number of rounds that timed every candidate.
    /// </summary>
    public static Dictionary<T, double[]> Best<T>(IReadOnlyList<T> candidates, int cases, int rounds, Action<T, int> run,
        out int completed, Func<double, bool>? another = null) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var best = candidates.ToDictionary(t => t, _ => Enumerable.Repeat(double.MaxValue, cases).ToArray());
        double roundMs = 0;
        completed = 0;
        for (int r = 0; r < rounds; r++)
        {
            if (r > 0 && another is not null && !another(roundMs)) break;
            var round = Stopwatch.StartNew();
            for (int j = 0; j < candidates.Count; j++)
            {
                var t = candidates[j];
                if (r == 0 && j > 0 && another is not null && !another(0))
                {
                    foreach (var left in candidates.Skip(j)) best.Remove(left);
                    break;
                }
                for (int i = 0; i < cases; i++)
                {
                    var sw = Stopwatch.StartNew();
                    run(t, i);
                    best[t][i] = Math.Min(best[t][i], sw.Elapsed.TotalMilliseconds);
                }
            }
            if (best.Count < candidates.Count) break; // the budget ran out in the first round
            completed++;
            roundMs = round.Elapsed.TotalMilliseconds;
        }
        return best;
    }
}

/// <summary>
/// A lazy tuning run's time budget, shared by the conv and scan tuners: candidates are checked (which compiles them) in
/// order while the next check, estimated by the slowest so far, ends within <see cref="CheckShare"/> of the budget (the
/// first — the shipped default — always); timing rounds go on while the next, estimated by the last, ends within it.
/// Without a budget everything is checked and every round runs. The clock starts when the budget is made.
/// </summary>
internal sealed class TuningBudget(TimeSpan? budget)
{
    /// <summary>Share of the budget spent checking candidates; the rest times them.</summary>
    public const double CheckShare = 0.7;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly double _budgetMs = budget?.TotalMilliseconds ?? double.PositiveInfinity;

    /// <summary>Checks <paramref name="offered"/> in order while the budget allows; returns the checked ones, in order,
    /// and each one's rejection (null when correct).</summary>
    public (List<T> Checked, Dictionary<T, string?> Rejections) Check<T>(IReadOnlyList<T> offered, Func<T, string?> check) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(check);
        var all = new List<T>();
        var rejections = new Dictionary<T, string?>();
        double slowest = 0;
        foreach (var t in offered)
        {
            if (all.Count > 0 && _clock.Elapsed.TotalMilliseconds + slowest > CheckShare * _budgetMs) break;
            double t0 = _clock.Elapsed.TotalMilliseconds;
            rejections[t] = check(t);
            slowest = Math.Max(slowest, _clock.Elapsed.TotalMilliseconds - t0);
            all.Add(t);
        }
        return (all, rejections);
    }

    /// <summary>For <see cref="TimedRounds.Best"/>: whether a round as long as the last (<paramref name="roundMs"/>) still fits.</summary>
    public bool AnotherRound(double roundMs) => _clock.Elapsed.TotalMilliseconds + roundMs <= _budgetMs;

    /// <summary>How much faster than the default a candidate must be to replace it in a budgeted run.</summary>
    public const double Margin = 0.03;

    /// <summary>
    /// Whether a candidate timed at <paramref name="candidateMs"/> may replace the default timed at
    /// <paramref name="defaultMs"/> after <paramref name="rounds"/> complete rounds. Always without a budget (a full
    /// tuning run decides on its own rounds); under a budget only after two rounds or more and by <see cref="Margin"/>:
    /// a lazy run on a loaded machine gets few rounds, and one round has stored a "winner" that a full run ranks below
    /// the default (TuneScanCommand), so a lazy winner must at least repeat.
    /// </summary>
    public bool MayReplaceDefault(double candidateMs, double defaultMs, int rounds) =>
        double.IsPositiveInfinity(_budgetMs) || (rounds >= 2 && candidateMs < defaultMs * (1 - Margin));
}
