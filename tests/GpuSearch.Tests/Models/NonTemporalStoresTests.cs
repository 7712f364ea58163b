// The size rule for streaming stores (Ops/NonTemporalStores.cs) and that the OpenCL device reports its cache size.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class NonTemporalStoresTests
{
    private static DeviceInfo Cpu(long cacheBytes) =>
        new("opencl:0", ComputeBackend.OpenCL, "cpu", "PoCL", "test", 1L << 34, 1L << 32, 1 << 20, 2, 4096, false, true, true, cacheBytes);

    [Fact]
    public void Outputs_from_twice_the_last_level_cache_are_streamed()
    {
        var l3 = Cpu(32L << 20);
        Assert.Equal(0, NonTemporalStores.For(l3, (64L << 20) - 4));
        Assert.Equal(1, NonTemporalStores.For(l3, 64L << 20));
        Assert.Equal(0, NonTemporalStores.For(Cpu(256L << 20), 100L << 20));
    }

    [Fact]
    public void Without_a_reported_cache_the_default_threshold_applies()
    {
        Assert.Equal(0, NonTemporalStores.For(Cpu(0), NonTemporalStores.DefaultMinBytes - 4));
        Assert.Equal(1, NonTemporalStores.For(Cpu(0), NonTemporalStores.DefaultMinBytes));
    }

    [Fact]
    public void Forcing_overrides_the_size_on_cpus_only()
    {
        var cpu = Cpu(32L << 20);
        Assert.Equal(1, NonTemporalStores.For(cpu, 4, force: true));
        Assert.Equal(0, NonTemporalStores.For(cpu, 1L << 40, force: false));
        var gpu = cpu with { IsCpu = false };
        Assert.Equal(0, NonTemporalStores.For(gpu, 1L << 40));
        Assert.Equal(0, NonTemporalStores.For(gpu, 4, force: true));
    }

    [Fact]
    public void Pocl_reports_its_cache_size()
    {
        var info = Devices.Cpu.Info;
        Assert.True(info.CacheBytes > 0, $"{info.Name} reported no global memory cache size");
    }
}
