// Lazy first-use conv tuning on PoCL with a tiny search space: a background run (its own thread and device, after an
// event of the caller's stream) finds and caches a correct winner within the budget and the next call reads the cache;
// a corrupt entry is ignored with a warning and replaced; switched off, nothing runs or is written; the test process
// (switch off) starts nothing after an inference; a winner stored after a memoised lookup is seen by the next lookup.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Tuning;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class LazyConvTuningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-lazyconv-" + Guid.NewGuid().ToString("N"));

    // The shape and a candidate ConvTuningTests compile too, so the kernel cache shares their builds.
    private static readonly Conv2dShape[] TinyShapes = ConvTuningTests.TinyShapes;
    private static readonly ConvTiles[] TinySpace = [ConvTuningTests.TinySpace[0]];

    private static readonly LazyTuningSettings Generous = new(true, TimeSpan.FromMinutes(10));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Background_run_finds_and_caches_a_winner_then_the_cache_is_read()
    {
        var info = Devices.Cpu.Info;
        var after = Devices.Cpu.Stream.Record(); // as a session's first inference: the run waits for it
        var outcome = await LazyConvTuning.Start(info, Generous, _dir, TinySpace, TinyShapes, after).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(LazyTuneOutcome.Tuned, outcome);
        var entry = TuningCache.TryRead(_dir, info, null);
        Assert.NotNull(entry);
        Assert.Contains(entry.Tiles, TinySpace.Append(TunedConvTiles.Default(info)));
        Assert.Equal(entry.Tiles, TunedConvTiles.Resolve(info, _dir, null));
        var stamp = File.GetLastWriteTimeUtc(TuningCache.PathFor(_dir, info));

        Assert.Equal(LazyTuneOutcome.Cached, LazyConvTuning.Run(Devices.Cpu, Generous, _dir, TinySpace, TinyShapes, out var again));
        Assert.Null(again); // nothing measured
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(TuningCache.PathFor(_dir, info)));
    }

    [Fact]
    public void Budgeted_run_measures_both_and_reports_every_candidate_correct()
    {
        Assert.Equal(LazyTuneOutcome.Tuned, LazyConvTuning.Run(Devices.Cpu, Generous, _dir, TinySpace, TinyShapes, out var r));
        Assert.NotNull(r);
        Assert.Equal(2, r.Candidates.Count); // the default beside the one candidate
        Assert.Equal(0, r.Skipped);
        Assert.All(r.Candidates, c => Assert.Null(c.Rejection));
        Assert.Equal(r.Winner, TuningCache.TryRead(_dir, Devices.Cpu.Info, null)!.Tiles);
    }

    [Fact]
    public void Spent_budget_stops_after_the_default_and_still_caches_it()
    {
        Assert.Equal(LazyTuneOutcome.Tuned, LazyConvTuning.Run(Devices.Cpu, new(true, TimeSpan.FromMilliseconds(1)), _dir, TinySpace, TinyShapes, out var r));
        Assert.NotNull(r);
        Assert.Equal(r.Default, Assert.Single(r.Candidates).Tiles);
        Assert.Equal(TinySpace.Length, r.Skipped);
        Assert.Equal(r.Default, TuningCache.TryRead(_dir, Devices.Cpu.Info, null)!.Tiles);
    }

    [Fact]
    public void Corrupt_entry_is_ignored_with_a_warning_and_replaced()
    {
        var info = Devices.Cpu.Info;
        var warnings = CorruptTuningEntry.WarningsWhile(TuningCache.PathFor(_dir, info), h => TunedConvTiles.Warning += h,
            h => TunedConvTiles.Warning -= h,
            () => Assert.Equal(LazyTuneOutcome.Tuned, LazyConvTuning.Run(Devices.Cpu, new(true, TimeSpan.FromMilliseconds(1)), _dir, TinySpace, TinyShapes, out _)));
        Assert.Contains("corrupt", Assert.Single(warnings));
        Assert.NotNull(TuningCache.TryRead(_dir, info, null)); // replaced by a valid entry
    }

    [Fact]
    public async Task Switched_off_or_without_a_cache_folder_nothing_runs_or_is_written()
    {
        var outcome = await LazyConvTuning.Start(Devices.Cpu.Info, Generous with { Enabled = false }, _dir, TinySpace, TinyShapes)
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(LazyTuneOutcome.Disabled, outcome);
        Assert.False(Directory.Exists(_dir));
        Assert.Equal(LazyTuneOutcome.Disabled, LazyConvTuning.Run(Devices.Cpu, Generous, null, TinySpace, TinyShapes, out var r));
        Assert.Null(r);
        // The test process runs with GPUSEARCH_LAZY_TUNING=off (LazyTuningOff, unless the developer set it), read on the
        // first resolve: nothing starts.
        if (Environment.GetEnvironmentVariable("GPUSEARCH_LAZY_TUNING") == "off") Assert.Null(LazyConvTuning.AfterFirstInference(Devices.Cpu.Stream));
    }

    [Fact]
    public void Winner_stored_while_a_lookup_reads_the_cache_is_seen_by_the_next_lookup()
    {
        var memo = new TunedMemo<int>();
        var info = Devices.Cpu.Info;
        Assert.Equal(1, memo.Get(info, () => 1));
        Assert.Equal(1, memo.Get(info, () => 2)); // memoised
        memo.Forget(); // a store: the next lookup reads the cache again
        Assert.Equal(2, memo.Get(info, () => 2));
        // Another store lands between this lookup's cache read and its memoising (the lookup returns what it read) ...
        memo.Forget();
        Assert.Equal(2, memo.Get(info, () => { memo.Forget(); return 2; }));
        // ... and the next lookup reads again instead of keeping the stale value.
        Assert.Equal(3, memo.Get(info, () => 3));
        Assert.Equal(3, memo.Get(info, () => 4));
    }

    [Fact]
    public void Register_tiles_nearest_the_default_come_first()
    {
        var def = TuningDefaults.CpuTiles(6, 64);
        ConvTiles[] space = [TuningDefaults.CpuTiles(4, 32), TuningDefaults.CpuTiles(4, 64), def, TuningDefaults.CpuTiles(6, 32)];
        // The default (no change), then one change each in space order (4×64, 6×32), then both (4×32).
        Assert.Equal([space[2], space[1], space[3], space[0]], LazyConvTuning.Nearest(space, def));
    }
}
