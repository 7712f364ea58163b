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
    /// round after the first with the previous round's wall time in ms; false stops early (a time budget).
    /// </summary>
    public static Dictionary<T, double[]> Best<T>(IReadOnlyList<T> candidates, int cases, int rounds, Action<T, int> run,
        Func<double, bool>? another = null) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var best = candidates.ToDictionary(t => t, _ => Enumerable.Repeat(double.MaxValue, cases).ToArray());
        double roundMs = 0;
        for (int r = 0; r < rounds; r++)
        {
            if (r > 0 && another is not null && !another(roundMs)) break;
            var round = Stopwatch.StartNew();
            foreach (var t in candidates)
                for (int i = 0; i < cases; i++)
                {
                    var sw = Stopwatch.StartNew();
                    run(t, i);
                    best[t][i] = Math.Min(best[t][i], sw.Elapsed.TotalMilliseconds);
                }
            roundMs = round.Elapsed.TotalMilliseconds;
        }
        return best;
    }
}
