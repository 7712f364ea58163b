// Lazy first-use scan tuning on PoCL with a tiny search space: the first use measures within the budget and caches an
// exact winner, the second reads the cache without measuring, the switch turns it off, a corrupt entry is ignored
// (and replaced), and the environment switch parses as TUNING.md documents.
using GpuSearch.Models.Tuning;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Search;

public sealed class LazyScanTuningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-lazytune-" + Guid.NewGuid().ToString("N"));

    // Neither is a class default, so both are candidates beside the default on every host.
    private static readonly ScanTiles[] TinySpace = [new(8, 16, 1, 2), new(4, 32, 2, 16, QueryBlock: 4)];

    private static readonly LazyTuningSettings Generous = new(true, TimeSpan.FromMinutes(10));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private LazyTuneOutcome Run(LazyTuningSettings s, out ScanTuneResult? r, string? dir = null) =>
        LazyScanTuning.Run(Devices.Cpu, s, dir ?? _dir, TinySpace, out r, rows: 700, dimension: 24);

    [Fact]
    public void First_use_tunes_and_caches_then_second_use_reads_the_cache()
    {
        var info = Devices.Cpu.Info;
        Assert.Equal(LazyTuneOutcome.Tuned, Run(Generous, out var first));
        Assert.NotNull(first);
        Assert.Equal(3, first.Candidates.Count);
        Assert.Equal(0, first.Skipped);
        Assert.All(first.Candidates, c => Assert.Null(c.Rejection)); // every candidate answered exactly
        Assert.Equal(TuningCache.ScanPathFor(_dir, info), first.CachePath);
        Assert.Equal(first.Winner, TuningCache.TryReadScan(_dir, info, null)!.Tiles);
        var stamp = File.GetLastWriteTimeUtc(first.CachePath!);

        Assert.Equal(LazyTuneOutcome.Cached, Run(Generous, out var second));
        Assert.Null(second); // nothing measured
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(first.CachePath!));
        Assert.Equal(first.Winner, TunedScanTiles.Resolve(info, _dir, null));
    }

    [Fact]
    public void Spent_budget_stops_after_the_default_and_still_caches_it()
    {
        Assert.Equal(LazyTuneOutcome.Tuned, Run(new(true, TimeSpan.FromMilliseconds(1)), out var r));
        Assert.NotNull(r);
        var only = Assert.Single(r.Candidates);
        Assert.Equal(r.Default, only.Tiles);
        Assert.Equal(TinySpace.Length, r.Skipped);
        Assert.Equal(r.Default, TuningCache.TryReadScan(_dir, Devices.Cpu.Info, null)!.Tiles);
    }

    [Fact]
    public void Switched_off_or_without_a_cache_folder_nothing_is_measured_or_written()
    {
        Assert.Equal(LazyTuneOutcome.Disabled, Run(Generous with { Enabled = false }, out var r));
        Assert.Null(r);
        Assert.False(Directory.Exists(_dir));
        Assert.Equal(LazyTuneOutcome.Disabled, LazyScanTuning.Run(Devices.Cpu, Generous, null, TinySpace, out _, 700, 24));
    }

    [Fact]
    public void Corrupt_entry_is_ignored_with_a_warning_and_replaced()
    {
        var info = Devices.Cpu.Info;
        var warnings = CorruptTuningEntry.WarningsWhile(TuningCache.ScanPathFor(_dir, info), h => TunedScanTiles.Warning += h,
            h => TunedScanTiles.Warning -= h, () => Assert.Equal(LazyTuneOutcome.Tuned, Run(Generous, out _)));
        Assert.Contains("corrupt", Assert.Single(warnings));
        Assert.NotNull(TuningCache.TryReadScan(_dir, info, null)); // the new winner is valid
    }

    [Fact]
    public void Switch_is_read_once_per_device_whether_off_or_on()
    {
        // Off: every search used to read the environment again; now the first call for a device decides.
        int reads = 0, runs = 0;
        var off = new LazyTuningOnce(() => { Interlocked.Increment(ref reads); return Generous with { Enabled = false }; });
        for (int i = 0; i < 5; i++)
            Assert.Equal(LazyTuneOutcome.Disabled, off.Ensure(Devices.Cpu.Info, _ => { runs++; return LazyTuneOutcome.Tuned; }));
        Assert.Equal(1, reads);
        Assert.Equal(0, runs);

        // On: one run per device, concurrent first calls wait for it, a second device gets its own.
        reads = 0;
        var on = new LazyTuningOnce(() => { Interlocked.Increment(ref reads); return Generous; });
        var other = Devices.Cpu.Info with { DriverVersion = Devices.Cpu.Info.DriverVersion + "-other" };
        var outcomes = new LazyTuneOutcome[8];
        Parallel.For(0, outcomes.Length, i => outcomes[i] = on.Ensure(i % 2 == 0 ? Devices.Cpu.Info : other, s =>
        {
            Interlocked.Increment(ref runs);
            Thread.Sleep(50);
            return s.Enabled ? LazyTuneOutcome.Tuned : LazyTuneOutcome.Failed;
        }));
        Assert.All(outcomes, o => Assert.Equal(LazyTuneOutcome.Tuned, o));
        Assert.Equal(2, runs);
        Assert.Equal(2, reads);
    }

    [Fact]
    public void Candidates_nearest_the_default_come_first()
    {
        var def = new ScanTiles(64, 64, 1, 8, QueryBlock: 2);
        ScanTiles[] space = [new(16, 32, 1, 8, 1), def with { QueryBlock = 4 }, new(16, 64, 1, 8, 2), def with { GroupsPerComputeUnit = 2 }];
        var ordered = LazyScanTuning.Nearest(space, def);
        Assert.Equal([space[1], space[2], space[3], space[0]], ordered); // one change each (in space order), then three
    }

    [Theory]
    [InlineData(null, "true", true, false, 10.0)]
    [InlineData(null, null, true, true, 10.0)]
    [InlineData("", "false", true, true, 10.0)]
    [InlineData("off", null, true, false, 10.0)]
    [InlineData("0", null, true, false, 10.0)]
    [InlineData("on", "true", true, true, 10.0)]
    [InlineData("2.5", "true", true, true, 2.5)]
    [InlineData("lots", null, true, false, 10.0)]
    [InlineData("-3", null, true, false, 10.0)]
    [InlineData("on", null, false, false, 10.0)] // GPUSEARCH_TUNING=off ignores the cache, so nothing to tune into
    public void Environment_switch_parses_as_documented(string? value, string? ci, bool useTuned, bool enabled, double seconds)
    {
        var s = LazyTuningSettings.Parse(value, ci, useTuned);
        Assert.Equal(enabled, s.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(seconds), s.Budget);
    }
}
