// The conv tuner on PoCL with a tiny search space: it finds and caches a correct winner, never chooses a
// candidate whose output is wrong, and a corrupt cache entry is ignored with a warning; plus the device-class
// registry that supplies the cold-start defaults.
using System.Text;
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Tuning;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class ConvTuningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gpusearch-tune-" + Guid.NewGuid().ToString("N"));

    // Deep enough (K = 24·9 = 216) that the 64-deep panels take the local-accumulator path, not a tile multiple.
    internal static readonly Conv2dShape[] TinyShapes = [new(1, 24, 9, 7, 20, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1)];

    // Neither is any class's default, so both are measured beside the default on every host.
    internal static readonly ConvTiles[] TinySpace = [TuningDefaults.CpuTiles(3, 64), TuningDefaults.CpuTiles(4, 32) with { PanelDepth = 64 }];

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Tiny_search_space_finds_and_caches_a_winner()
    {
        var dev = Devices.Cpu;
        var result = new ConvTuner(dev).Run(TinySpace, TinyShapes, 1, _dir);

        Assert.Equal(3, result.Candidates.Count); // the default is measured beside the two candidates
        Assert.All(result.Candidates, c => Assert.Null(c.Rejection));
        Assert.Equal(result.Candidates.Min(c => c.TotalMs), result.WinnerResult.TotalMs);
        Assert.NotNull(result.CachePath);
        Assert.Equal(TuningCache.PathFor(_dir, dev.Info), result.CachePath);

        var warnings = new List<string>();
        var entry = TuningCache.TryRead(_dir, dev.Info, warnings.Add);
        Assert.Empty(warnings);
        Assert.NotNull(entry);
        Assert.Equal(result.Winner, entry.Tiles);
        Assert.Equal(dev.Info.Name, entry.Device);
        Assert.Equal(DeviceClassifier.HostCpuIsa, entry.Isa);
    }

    [Fact]
    public void Candidate_with_wrong_output_is_never_chosen()
    {
        // One element of every non-default candidate is nudged just past the tolerance: all must be rejected,
        // so the default wins whatever the timings.
        var dev = Devices.Cpu;
        var def = TunedConvTiles.Default(dev.Info);
        var tuner = new ConvTuner(dev)
        {
            OutputFilter = (tiles, y) => { if (tiles != def) y[y.Length / 2] += 0.01f * MathF.Max(1f, MathF.Abs(y[y.Length / 2])); },
        };
        var result = tuner.Run(TinySpace, TinyShapes, 1, _dir);

        Assert.Equal(def, result.Winner);
        var rejected = result.Candidates.Where(c => c.Tiles != def).ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, c => Assert.StartsWith("wrong output", c.Rejection));
        Assert.All(rejected, c => Assert.True(double.IsNaN(c.TotalMs)));
        Assert.Equal(def, TuningCache.TryRead(_dir, dev.Info, null)!.Tiles);
    }

    [Fact]
    public void Corrupt_cache_entry_is_ignored_with_a_warning()
    {
        var dev = Devices.Cpu;
        var entry = new TuningEntry(dev.Info.Name, dev.Info.DriverVersion, TuningCache.ConvKernelHash(dev.Info.Backend), "CpuAvx2", "AVX2",
            TuningDefaults.CpuTiles(4, 32), 1, 2, DateTime.UtcNow);
        var path = TuningCache.Write(_dir, dev.Info, entry);
        Assert.Equal(entry.Tiles, TuningCache.TryRead(_dir, dev.Info, null)!.Tiles);

        // An edited winner (the checksum no longer matches), a torn file, an entry for another driver.
        var text = File.ReadAllText(path);
        var edits = new[]
        {
            text.Replace("\\u0022WorkPerThreadM\\u0022:4", "\\u0022WorkPerThreadM\\u0022:5", StringComparison.Ordinal),
            text[..(text.Length / 2)],
        };
        Assert.NotEqual(text, edits[0]);
        foreach (var bad in edits)
        {
            File.WriteAllText(path, bad);
            var warnings = new List<string>();
            Assert.Null(TuningCache.TryRead(_dir, dev.Info, warnings.Add));
            var w = Assert.Single(warnings);
            Assert.Contains("corrupt", w);
            Assert.Contains(path, w);
        }
        var other = dev.Info with { DriverVersion = dev.Info.DriverVersion + "-other" };
        TuningCache.Write(_dir, other, entry); // names the real driver inside, stored under the other's key
        var ws = new List<string>();
        Assert.Null(TuningCache.TryRead(_dir, other, ws.Add));
        Assert.Contains("another device", Assert.Single(ws));
    }

    [Fact]
    public void Executor_takes_the_cached_winner_and_falls_back_to_the_class_default()
    {
        var dev = Devices.Cpu;
        var def = TunedConvTiles.Default(dev.Info);
        Assert.Equal(def, TunedConvTiles.Resolve(dev.Info, _dir, null)); // nothing cached yet
        var tuned = TuningDefaults.CpuTiles(4, 32);
        Assert.NotEqual(def, tuned);
        var path = TuningCache.Write(_dir, dev.Info, new TuningEntry(dev.Info.Name, dev.Info.DriverVersion,
            TuningCache.ConvKernelHash(dev.Info.Backend), "CpuAvx512", "AVX-512", tuned, 1, 2, DateTime.UtcNow));
        Assert.Equal(tuned, TunedConvTiles.Resolve(dev.Info, _dir, null));

        File.WriteAllText(path, "{\"Format\":1,\"Payload\":\"{}\",\"Sha256\":\"00\"}");
        var warnings = new List<string>();
        Assert.Equal(def, TunedConvTiles.Resolve(dev.Info, _dir, warnings.Add));
        Assert.Single(warnings);
    }

    [Theory]
    [InlineData("pthread-skylake-avx512-AMD EPYC", "AVX-512", DeviceClass.CpuAvx512)]
    [InlineData("pthread-haswell-AMD EPYC", "AVX-512", DeviceClass.CpuAvx2)] // PoCL built for AVX2: 16 registers
    [InlineData("pthread-skylake-avx512-AMD EPYC", "AVX2", DeviceClass.CpuAvx2)] // host lacks AVX-512
    [InlineData("pthread-znver3-AMD EPYC", "AVX2", DeviceClass.CpuAvx2)]
    [InlineData("pthread-x86-64-Intel", "AVX2", DeviceClass.CpuOther)]
    [InlineData("cpu-haswell", "other", DeviceClass.CpuOther)]
    public void Cpu_class_is_the_lower_of_the_compiler_target_and_the_host(string name, string isa, Enum expectedValue)
    {
        var expected = (DeviceClass)expectedValue;
        Assert.Equal(expected, DeviceClassifier.ClassifyCpu(name, isa));
    }

    [Theory]
    [InlineData("CUDA driver 12.4, NVRTC 12.4, sm_90", DeviceClass.NvidiaSm90)]
    [InlineData("CUDA driver 12.4, NVRTC 12.4, sm_86", DeviceClass.NvidiaSm80)]
    [InlineData("CUDA driver 12.4, NVRTC 12.4, sm_75", DeviceClass.GpuOther)]
    [InlineData("AMD-APP (3590.0)", DeviceClass.GpuOther)]
    public void Gpu_class_follows_the_compute_capability(string driver, Enum expectedValue)
    {
        var expected = (DeviceClass)expectedValue;
        var info = new DeviceInfo("cuda:0", ComputeBackend.Cuda, "GPU", "NVIDIA", driver, 1L << 30, 1L << 28, 49152, 100, 1024, true, true, false);
        Assert.Equal(expected, DeviceClassifier.Classify(info));
    }

    [Fact]
    public void Isa_comes_from_the_cpu_flags()
    {
        Assert.Equal("AVX-512", DeviceClassifier.IsaFromCpuFlags(new HashSet<string> { "avx2", "fma", "avx512f" }));
        Assert.Equal("AVX2", DeviceClassifier.IsaFromCpuFlags(new HashSet<string> { "sse4_2", "avx2", "fma" }));
        Assert.Equal("other", DeviceClassifier.IsaFromCpuFlags(new HashSet<string> { "sse4_2", "avx" }));
    }

    [Theory]
    [InlineData("pthread-haswell-Intel Xeon", "fpu sse4_2 avx avx2 fma", 6, 16)] // AVX2 host: 16 ymm, 12 accumulators
    [InlineData("pthread-skylake-avx512-AMD EPYC", "fpu sse4_2 avx avx2 fma avx512f avx512vl", 6, 64)] // 24 zmm accumulators
    public void Cpu_flags_pick_the_measured_register_tile_of_their_class(string name, string flags, int rows, int pixels)
    {
        var isa = DeviceClassifier.IsaFromCpuFlags(flags.Split(' ').ToHashSet());
        var tiles = TuningDefaults.For(DeviceClassifier.ClassifyCpu(name, isa)).ConvDefault;
        Assert.Equal((rows, pixels), (tiles.WorkPerThreadM, tiles.WorkPerThreadN));
        Assert.Equal(1, tiles.ThreadsM * tiles.ThreadsN); // one work-item per group: the CPU kernel shape
    }

    [Fact]
    public void Every_class_has_a_valid_default_inside_its_search_space()
    {
        foreach (var c in Enum.GetValues<DeviceClass>())
        {
            var p = TuningDefaults.For(c);
            Assert.Equal(c, p.Class);
            p.ConvDefault.Validate();
            Assert.Contains(p.ConvDefault, p.ConvSearchSpace);
            Assert.All(p.ConvSearchSpace, t => t.Validate());
        }
    }
}
