// The scan tuner on PoCL with a tiny search space (mirrors ConvTuningTests): it finds and caches an exactly
// correct winner, never chooses a candidate whose answer is wrong, a corrupt cache entry is ignored with a warning,
// and the scan resolves its tunables from the cache or the class default.
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;
using GpuSearch.Search;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Search;

public sealed class ScanTuningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-scantune-" + Guid.NewGuid().ToString("N"));

    // 3 tiles of 64 rows plus a partial one; k = 40 above FusedMaxK 32 is not needed: the third case forces
    // the radix-select path through k > 256.
    private static readonly ScanCase[] TinyCases = [new(1, 5), new(20, 7), new(3, 300)];

    // Neither is a class default, so both are measured beside the default on every host.
    private static readonly ScanTiles[] TinySpace = [new(8, 16, 1, 2), new(4, 32, 2, 16)];

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static ScanTuner Tuner(ComputeDevice dev) => new(dev, rows: 700, dimension: 24);

    [Fact]
    public void Tiny_search_space_finds_and_caches_a_winner()
    {
        var dev = Devices.Cpu;
        var result = Tuner(dev).Run(TinySpace, TinyCases, 1, _dir);

        Assert.Equal(3, result.Candidates.Count); // the default is measured beside the two candidates
        Assert.All(result.Candidates, c => Assert.Null(c.Rejection));
        Assert.All(result.Candidates, c => Assert.Equal(TinyCases.Length, c.PerCaseMs.Count));
        Assert.Equal(result.Candidates.Min(c => c.TotalMs), result.WinnerResult.TotalMs);
        Assert.Equal(TuningCache.ScanPathFor(_dir, dev.Info), result.CachePath);
        Assert.NotEqual(TuningCache.PathFor(_dir, dev.Info), result.CachePath); // beside the conv entry, not over it

        var warnings = new List<string>();
        var entry = TuningCache.TryReadScan(_dir, dev.Info, warnings.Add);
        Assert.Empty(warnings);
        Assert.NotNull(entry);
        Assert.Equal(result.Winner, entry.Tiles);
        Assert.Equal(TuningCache.ScanKernelHash(dev.Info.Backend), entry.KernelHash);
        Assert.Equal(result.Winner, TunedScanTiles.Resolve(dev.Info, _dir, null));
    }

    [Fact]
    public void Candidate_with_a_wrong_answer_is_never_chosen()
    {
        var dev = Devices.Cpu;
        var def = TunedScanTiles.Default(dev.Info);
        // Swap the first two ids of query 0 for every non-default candidate: scores still sorted, ids wrong.
        var tuner = new ScanTuner(dev, 700, 24)
        {
            ResultFilter = (tiles, r) =>
            {
                if (tiles == def) return;
                r.Ids[0] = r.Ids[0] == 0 ? 1 : 0;
            },
        };
        var result = tuner.Run(TinySpace, TinyCases, 1, _dir);

        Assert.Equal(def, result.Winner);
        var rejected = result.Candidates.Where(c => c.Tiles != def).ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, c => Assert.StartsWith("wrong answer", c.Rejection));
        Assert.All(rejected, c => Assert.True(double.IsNaN(c.TotalMs)));
        Assert.Equal(def, TuningCache.TryReadScan(_dir, dev.Info, null)!.Tiles);
    }

    [Fact]
    public void Invalid_candidate_is_rejected_not_run()
    {
        var result = Tuner(Devices.Cpu).Run([new ScanTiles(3, 16, 1, 8)], TinyCases, 1, null);
        var bad = Assert.Single(result.Candidates, c => c.Tiles.RowsPerWorkItem == 3);
        Assert.StartsWith("invalid", bad.Rejection);
        Assert.Null(result.CachePath);
    }

    [Fact]
    public void Corrupt_cache_entry_is_ignored_with_a_warning()
    {
        var dev = Devices.Cpu;
        var entry = new ScanTuningEntry(dev.Info.Name, dev.Info.DriverVersion, TuningCache.ScanKernelHash(dev.Info.Backend), "CpuAvx512", "AVX-512",
            new ScanTiles(8, 16, 1, 4), 1, 2, DateTime.UtcNow);
        var path = TuningCache.WriteScan(_dir, dev.Info, entry);
        Assert.Equal(entry.Tiles, TuningCache.TryReadScan(_dir, dev.Info, null)!.Tiles);

        var text = File.ReadAllText(path);
        var edits = new[]
        {
            text.Replace("\\u0022RowsPerWorkItem\\u0022:8", "\\u0022RowsPerWorkItem\\u0022:16", StringComparison.Ordinal), // checksum no longer matches
            text[..(text.Length / 2)], // torn
        };
        Assert.NotEqual(text, edits[0]);
        foreach (var bad in edits)
        {
            File.WriteAllText(path, bad);
            var warnings = new List<string>();
            Assert.Null(TuningCache.TryReadScan(_dir, dev.Info, warnings.Add));
            var w = Assert.Single(warnings);
            Assert.Contains("corrupt", w);
            Assert.Contains(path, w);
            Assert.Equal(TunedScanTiles.Default(dev.Info), TunedScanTiles.Resolve(dev.Info, _dir, null));
        }

        // A well-formed entry whose tunables are out of range (RPW 5 does not divide 64) is corrupt too.
        TuningCache.WriteScan(_dir, dev.Info, entry with { Tiles = new ScanTiles(5, 16, 1, 4) });
        var ws = new List<string>();
        Assert.Null(TuningCache.TryReadScan(_dir, dev.Info, ws.Add));
        Assert.Contains("RowsPerWorkItem", Assert.Single(ws));

        var other = dev.Info with { DriverVersion = dev.Info.DriverVersion + "-other" };
        TuningCache.WriteScan(_dir, other, entry); // names the real driver inside, stored under the other's key
        ws.Clear();
        Assert.Null(TuningCache.TryReadScan(_dir, other, ws.Add));
        Assert.Contains("another device", Assert.Single(ws));
    }

    [Fact]
    public void Scan_takes_explicit_tiles_and_properties_override_them()
    {
        var info = Devices.Cpu.Info;
        var tiles = new ScanTiles(8, 16, 1, 4);
        var t = new ScanTuning { Tiles = tiles };
        Assert.Equal(8, t.PickRowsPerWorkItem(info));
        Assert.Equal(16, t.PickQueryTile(64, info, 32));
        Assert.Equal(4, t.PickQueryTile(3, info, 32)); // small batches keep their size classes
        Assert.Equal(32, (t with { RowsPerWorkItem = 32 }).PickRowsPerWorkItem(info));
        int cus = Math.Max(1, info.ComputeUnits);
        Assert.Equal(Math.Min(cus * 4, 1000), t.PickSplits(info, 1, 1000));
        Assert.Equal(Math.Min(cus * 2, 1000), (t with { GroupsPerComputeUnit = 2 }).PickSplits(info, 1, 1000));
    }

    [Fact]
    public void Tune_command_refuses_an_unknown_kernel_kind_before_opening_a_device()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            GpuSearch.Cli.Commands.TuneCommand.Run("no-such-device", quick: true, json: false, TextWriter.Null, TextWriter.Null, "conv,gemm"));
        Assert.Contains("--kernels", e.Message);
        Assert.Contains("conv,gemm", e.Message);
    }

    [Fact]
    public void Every_class_has_a_valid_scan_default_inside_its_search_space()
    {
        foreach (var p in TuningDefaults.All)
        {
            p.ScanDefault.Validate();
            Assert.Contains(p.ScanDefault, p.ScanSearchSpace);
            Assert.All(p.ScanSearchSpace, t => t.Validate());
        }
    }
}
