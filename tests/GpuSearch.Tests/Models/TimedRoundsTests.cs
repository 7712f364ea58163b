// The tuners' shared timing loop under a time budget: rounds stop when the next would not fit, a budget spent in the
// first round leaves out the candidates it did not reach (never a winner that was not timed beside the default), and a
// budgeted run's winner must repeat over two rounds and beat the default by the margin.
using GpuSearch.Models.Tuning;

namespace GpuSearch.Tests.Models;

public sealed class TimedRoundsTests
{
    [Fact]
    public void Budget_spent_in_the_first_round_keeps_only_what_was_timed()
    {
        var runs = new List<string>();
        var best = TimedRounds.Best(["default", "a", "b"], 2, 3, (t, i) => runs.Add($"{t}{i}"), out int completed, _ => false);
        Assert.Equal(0, completed);
        Assert.Equal(["default0", "default1"], runs); // the first is always timed, once
        Assert.Equal(["default"], best.Keys);
    }

    [Fact]
    public void Rounds_go_on_while_the_budget_allows()
    {
        int asked = 0, runs = 0;
        // Round 0 asks before "a" and "b" (yes), round 1 is allowed, round 2 is refused.
        var best = TimedRounds.Best(["default", "a", "b"], 1, 3, (_, _) => runs++, out int completed, roundMs => ++asked <= 3);
        Assert.Equal(2, completed);
        Assert.Equal(3, best.Count);
        Assert.Equal(6, runs); // two rounds of three
        Assert.All(best.Values, v => Assert.True(v[0] < double.MaxValue));
    }

    [Fact]
    public void Under_a_budget_a_winner_must_repeat_and_beat_the_default_by_the_margin()
    {
        var full = new TuningBudget(null);
        Assert.True(full.MayReplaceDefault(99, 100, 1)); // a full run decides on its own rounds
        var lazy = new TuningBudget(TimeSpan.FromSeconds(10));
        Assert.False(lazy.MayReplaceDefault(50, 100, 1)); // one round: never
        Assert.True(lazy.MayReplaceDefault(95, 100, 2));
        Assert.False(lazy.MayReplaceDefault(99, 100, 3)); // within the margin: the default stays
    }
}
