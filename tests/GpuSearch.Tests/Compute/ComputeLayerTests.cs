// Behaviour of the compute layer on the PoCL device CI has: transfers, fills, copies, range checks,
// errors a user can act on (unknown device, compile errors with file and line, out of memory).
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "OpenCL")]
[Collection(KernelCacheEnvironment.Name)] // sets GPUSEARCH_KERNEL_CACHE for the process
public sealed class ComputeLayerTests
{
    private static ComputeDevice Dev => Devices.Cpu;

    [Fact]
    public void UploadDownloadFillCopyRoundTrip()
    {
        using var a = Dev.Allocate(4000);
        using var b = Dev.Allocate(4000);
        var data = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        Dev.Stream.Upload<float>(a, data);
        Dev.Stream.Fill(b, 3.25f);
        Dev.Stream.Copy(a, b, byteCount: 400, srcOffsetBytes: 800, dstOffsetBytes: 2000);
        var got = Dev.Stream.Download<float>(b);
        for (int i = 0; i < 1000; i++)
            Assert.Equal(i is >= 500 and < 600 ? data[i - 500 + 200] : 3.25f, got[i]);
        var partial = new float[10];
        Dev.Stream.Download<float>(a, partial, srcOffsetBytes: 40);
        Assert.Equal(data[10..20], partial);
    }

    [Fact]
    public void OutOfRangeTransfersAreRejectedBeforeReachingTheDriver()
    {
        using var a = Dev.Allocate(64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Dev.Stream.Upload<float>(a, new float[17]));
        Assert.Contains("64 bytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dev.Stream.Download<float>(a, new float[4], srcOffsetBytes: 56));
        Assert.Throws<ArgumentException>(() => Dev.Stream.Fill(a, 1u, offsetBytes: 2, byteCount: 8));
    }

    [Fact]
    public void DisposedBufferCannotBeUsed()
    {
        var a = Dev.Allocate(16);
        a.Dispose();
        a.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => Dev.Stream.Upload<float>(a, new float[1]));
        Assert.Throws<ObjectDisposedException>(() => new KernelArgs().Buffer(a));
    }

    [Fact]
    public void AllocationBeyondTheDeviceLimitIsATypedRecoverableError()
    {
        var tooBig = Dev.Info.MaxAllocationBytes + 1;
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => Dev.Allocate(tooBig));
        Assert.Equal(tooBig, e.RequestedBytes);
        Assert.Contains(Dev.Info.Id, e.Message);
        // The device is still usable afterwards.
        using var ok = Dev.Allocate(1024);
        Dev.Stream.Fill(ok, 7u);
        Assert.All(Dev.Stream.Download<uint>(ok), v => Assert.Equal(7u, v));
    }

    [Fact]
    public void CompileErrorCarriesTheLogWithFileAndLine()
    {
        const string bad = "#include \"common.h\"\n__kernel void broken(__global float* y) {\n  y[0] = undefined_symbol;\n}\n";
        var src = KernelSource.FromText("broken_test.cl", bad, new KernelDefines().Set("UNIQUE", Guid.NewGuid().ToString("N")[..8] + "u"), Dev.Info.Backend);
        var e = Assert.Throws<KernelBuildException>(() => Dev.GetProgram(src));
        Assert.Equal("broken_test.cl", e.KernelFile);
        Assert.Contains("undefined_symbol", e.BuildLog);
        Assert.Contains("broken_test.cl:3", e.BuildLog); // #line markers map errors back to the file
        Assert.Contains("-cl-std=CL1.2", e.Options);
    }

    [Fact]
    public void UnknownKernelFileAndEntryPointAreNamed()
    {
        var e1 = Assert.Throws<FileNotFoundException>(() => Dev.GetKernel("nope.cl", "x"));
        Assert.Contains("gemm.cl", e1.Message); // lists what exists
        var e2 = Assert.Throws<ArgumentException>(() => Dev.GetKernel("broadcast.cl", "no_such_kernel"));
        Assert.Contains("broadcast.cl", e2.Message);
    }

    [Fact]
    public void UnknownDeviceSelectionListsTheDevicesThatExist()
    {
        var e = Assert.Throws<DeviceNotFoundException>(() => DeviceRegistry.Default.Resolve("cuda:7"));
        Assert.Contains("opencl:0", e.Message);
        Assert.Contains("cuda:7", e.Message);
    }

    [Fact]
    public void SelectionStringsResolve()
    {
        var reg = DeviceRegistry.Default;
        Assert.Equal(reg.Resolve("cpu")[0], reg.Resolve("opencl:0,cpu").Single(d => d.IsCpu));
        Assert.NotEmpty(reg.Resolve("auto"));
        Assert.Equal(reg.Devices.Count, reg.Resolve("all").Count);
        // auto prefers CUDA, then an OpenCL GPU, then a CPU device.
        var auto = reg.Resolve("auto")[0];
        if (reg.Devices.Any(d => d.Backend == ComputeBackend.Cuda)) Assert.Equal(ComputeBackend.Cuda, auto.Backend);
        else if (reg.Devices.Any(d => !d.IsCpu)) Assert.False(auto.IsCpu);
        else Assert.True(auto.IsCpu);
    }

    [Fact]
    public void WorkGroupLargerThanTheDeviceAllowsIsRejected()
    {
        var k = Dev.GetKernel("broadcast.cl", "unary_act", new KernelDefines().Set("ACT", 0));
        using var x = Dev.Allocate(16);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Dev.Stream.Launch(k, [4], [Dev.Info.MaxWorkGroupSize + 1], new KernelArgs().Long(4).Buffer(x).Long(0).Buffer(x).Long(0).Float(0f).Float(0f)));
        Assert.Contains("unary_act", e.Message);
    }

    [Fact]
    public void EventsMeasureElapsedDeviceTime()
    {
        using var a = Dev.Allocate(4L << 20);
        using var b = Dev.Allocate(4L << 20);
        using var start = Dev.Stream.Record();
        for (int i = 0; i < 4; i++) Broadcast.Unary(Dev.Stream, Activation.Of(ActivationKind.Exp), DeviceTensor.Flat(a, 0, 1 << 20), DeviceTensor.Flat(b, 0, 1 << 20));
        using var end = Dev.Stream.Record();
        var ms = end.ElapsedSince(start);
        Assert.True(ms > 0 && ms < 60_000, $"elapsed {ms} ms");
    }

    [Fact]
    public void CompiledBinariesAreCachedOnDiskAndReused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gpusearch-cache-test-" + Guid.NewGuid().ToString("N"));
        var old = Environment.GetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE");
        Environment.SetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE", dir);
        try
        {
            var defines = new KernelDefines().Set("ACT", 15).Set("CACHE_PROBE", 1);
            string key;
            using (var d1 = DeviceRegistry.Default.Open("cpu"))
            {
                d1.GetKernel("broadcast.cl", "unary_act", defines);
                key = KernelCache.Key(KernelSource.Load("broadcast.cl", defines, d1.Info.Backend),
                    GpuSearch.Compute.OpenCL.OpenClBackend.BuildOptions, d1.Info);
            }
            // Other tests run in parallel and may add entries here too: look for this build's own key.
            var file = Path.Combine(dir, key + ".bin");
            Assert.True(File.Exists(file), $"no cache entry {file}");
            Assert.NotNull(KernelCache.TryRead(key));
            // Corrupting the entry must not break the next build: it is detected and rebuilt.
            var bytes = File.ReadAllBytes(file);
            bytes[^1] ^= 0xFF;
            File.WriteAllBytes(file, bytes);
            Assert.Null(KernelCache.TryRead(key));
            using var d2 = DeviceRegistry.Default.Open("cpu");
            using var x = d2.Allocate(16);
            d2.Stream.Upload<float>(x, [-1f, 2f, -3f, 4f]);
            Broadcast.Unary(d2.Stream, Activation.Of(ActivationKind.Abs), DeviceTensor.Flat(x, 0, 4), DeviceTensor.Flat(x, 0, 4));
            // Abs via a kernel built after a corrupt cache entry (defines differ only by CACHE_PROBE).
            d2.GetKernel("broadcast.cl", "unary_act", defines);
            Assert.Equal([1f, 2f, 3f, 4f], d2.Stream.Download<float>(x));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE", old);
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void ProgramLookupByFileAndDefinesKeepsDistinctBuildsApart()
    {
        // Ops look their kernel up on every launch through a cache keyed by file and rendered defines: equal defines
        // (fresh instances, any order) must give the same program as the expanded source does, different ones another.
        KernelDefines Probe(int v) => new KernelDefines().Set("ACT", 15).Set("LOOKUP_PROBE", v);
        var a = Dev.GetProgram("broadcast.cl", Probe(1));
        Assert.Same(a, Dev.GetProgram("broadcast.cl", new KernelDefines().Set("LOOKUP_PROBE", 1).Set("ACT", 15)));
        Assert.Same(a, Dev.GetProgram(KernelSource.Load("broadcast.cl", Probe(1), Dev.Info.Backend)));
        Assert.NotSame(a, Dev.GetProgram("broadcast.cl", Probe(2)));
        Assert.NotSame(a, Dev.GetProgram("pool.cl", Probe(1)));
    }

    [Fact]
    public void KernelDefinesRejectInvalidNames()
    {
        Assert.Throws<ArgumentException>(() => new KernelDefines().Set("1BAD", 1));
        Assert.Throws<ArgumentException>(() => new KernelDefines().Set("A B", 1));
        Assert.Throws<InvalidOperationException>(() => KernelDefines.Empty.Set("X", 1));
        Assert.Equal("#define A 1\n#define B 2.5\n", new KernelDefines().Set("B", 2.5).Set("A", 1).Render());
    }
}
