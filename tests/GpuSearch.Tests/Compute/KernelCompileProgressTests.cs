// Issue 12 item 15: a cold kernel cache meant minutes of compiling with no output. The compile path reports
// every compile the on-disk cache cannot serve (KernelCache.Compiling) and the CLI prints it on stderr;
// a warm cache reports nothing, so later runs are quiet.
using GpuSearch.Cli;
using GpuSearch.Compute;
using GpuSearch.Tests.Cli;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Compute;

/// <summary>Tests that read or set GPUSEARCH_KERNEL_CACHE (process-wide) or count the static
/// <see cref="KernelCache.Compiling"/> events run one at a time and apart from every other collection: another
/// test's compile would otherwise be counted as theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCacheEnvironment
{
    /// <summary>The collection's name.</summary>
    public const string Name = "kernel cache environment";
}

[Trait("Backend", "OpenCL")]
[Collection(KernelCacheEnvironment.Name)]
public sealed class KernelCompileProgressTests
{
    [Fact]
    public void ColdCacheReportsEachCompileAndAWarmCacheNothing()
    {
        if (KernelCache.Directory is null) Assert.Fail("needs the kernel cache; unset GPUSEARCH_KERNEL_CACHE=off");
        // Defines no other build uses, so the first build is a cache miss whatever the cache holds.
        var defines = new KernelDefines().Set("ACT", 15).Set("COMPILE_PROGRESS_PROBE", Random.Shared.Next(1, int.MaxValue));
        var events = new List<KernelCompileProgress>();
        var key = KernelSource.Load("broadcast.cl", defines, ComputeBackend.OpenCL).CacheKey;
        void OnCompiling(KernelCompileProgress p) { if (p.SourceKey == key) lock (events) events.Add(p); }
        KernelCache.Compiling += OnCompiling;
        try
        {
            using (var cold = DeviceRegistry.Default.Open("cpu"))
            {
                cold.GetKernel("broadcast.cl", "unary_act", defines);
                Assert.Collection(events,
                    e => { Assert.False(e.Done); Assert.Equal(cold.Info.Id, e.Device.Id); Assert.Equal("broadcast.cl", e.KernelFile); },
                    e => { Assert.True(e.Done); Assert.True(e.Elapsed > TimeSpan.Zero); Assert.Equal(events[0].Number, e.Number); });
            }
            events.Clear();
            using (var warm = DeviceRegistry.Default.Open("cpu"))
                warm.GetKernel("broadcast.cl", "unary_act", defines); // from the on-disk cache
            Assert.Empty(events);
        }
        finally { KernelCache.Compiling -= OnCompiling; }
    }

    [Fact]
    public void ReporterPrintsTheDeviceOnceThenTotalsAndNothingWhenWarm()
    {
        var device = Devices.Cpu.Info;
        var err = new StringWriter();
        using (var r = new KernelCompileReporter(err))
        {
            for (int n = 1; n <= 3; n++)
            {
                r.Report(new KernelCompileProgress(device, "conv.cl", $"k{n}", n, false, TimeSpan.Zero));
                r.Report(new KernelCompileProgress(device, "conv.cl", $"k{n}", n, true, TimeSpan.FromMilliseconds(5)));
            }
        }
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"compiling kernels for {device.Id} ({device.Name}), first run only", lines[0]);
        Assert.Single(lines, l => l.StartsWith("compiling kernels", StringComparison.Ordinal));
        Assert.Contains($"3 kernel programs compiled for {device.Id}", lines[^1]);

        var quiet = new StringWriter();
        new KernelCompileReporter(quiet).Dispose();
        Assert.Equal("", quiet.ToString());
    }

    [Fact]
    public void CliSaysItIsCompilingOnAColdCacheAndIsQuietWhenWarm()
    {
        var dir = Directory.CreateTempSubdirectory("gpusearch-kernel-cache-").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["GPUSEARCH_KERNEL_CACHE"] = dir };
            var cold = UsageErrorTests.RunCli(dir, ["smoke", "--device", "cpu", "--size", "33"], env);
            Assert.True(cold.Code == 0, cold.Stderr);
            Assert.Contains("compiling kernels for opencl:", cold.Stderr);
            Assert.Contains("first run only", cold.Stderr);
            var warm = UsageErrorTests.RunCli(dir, ["smoke", "--device", "cpu", "--size", "33"], env);
            Assert.True(warm.Code == 0, warm.Stderr);
            Assert.Equal("", warm.Stderr.Trim());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
