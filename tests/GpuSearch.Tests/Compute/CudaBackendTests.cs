// Tests that need a real CUDA device (they skip, saying why, elsewhere): memory round trips,
// allocations over 4 GiB, out-of-memory recovery, NVRTC build errors, launches and event timing,
// and real NVRTC compiles of every embedded kernel and of the prelude coverage kernel.
using GpuSearch.Compute;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "CUDA")]
public sealed class CudaBackendTests(ITestOutputHelper output)
{
    private const string ScaleKernel =
        "#include \"common.h\"\n" +
        "__kernel void scale(__global float* x, const float a, const int n, const long add, const uint mask)\n" +
        "{\n" +
        "    const idx_t i = GID0;\n" +
        "    if (i < n) x[i] = x[i] * a + (float)add + (float)(mask & 1u);\n" +
        "}\n";

    [CudaFact]
    public void InfoDescribesTheDevice()
    {
        using var device = CudaTestDevice.Open();
        var i = device.Info;
        output.WriteLine($"{i.Id}: {i.Name}, {i.GlobalMemoryBytes:N0} B, {i.ComputeUnits} SMs, {i.MaxWorkGroupSize} threads/block, " +
                         $"{i.LocalMemoryBytes:N0} B shared, fp16={i.SupportsFp16}, {i.DriverVersion}");
        Assert.Equal(ComputeBackend.Cuda, i.Backend);
        Assert.False(i.IsCpu);
        Assert.True(i.SupportsFp64);
        Assert.True(i.ComputeUnits > 0 && i.MaxWorkGroupSize >= 256 && i.LocalMemoryBytes >= 16 * 1024);
        Assert.Contains("sm_", i.DriverVersion);
        var mem = device.MemoryInfo;
        Assert.NotNull(mem);
        Assert.InRange(mem!.Value.Free, 1, mem.Value.Total);
    }

    [CudaFact]
    public void UploadDownloadFillCopyRoundTrip()
    {
        using var device = CudaTestDevice.Open();
        var s = device.Stream;
        var data = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        using var a = device.Allocate(4096);
        using var b = device.Allocate(4096);
        s.Fill(a, 0xDEADBEEFu);
        s.Upload<float>(a, data, dstOffsetBytes: 16);
        var back = new float[1000];
        s.Download<float>(a, back, srcOffsetBytes: 16);
        Assert.Equal(data, back);
        Assert.Equal(0xDEADBEEFu, s.Download<uint>(a, 4)[3]); // bytes before the upload keep the fill
        s.Fill(b, 1.5f);
        s.Copy(a, b, 400, srcOffsetBytes: 16, dstOffsetBytes: 800);
        var all = s.Download<float>(b);
        Assert.Equal(1.5f, all[199]);
        Assert.Equal(data[..100], all[200..300]);
        Assert.Equal(1.5f, all[300]);
    }

    [CudaFact]
    public void AllocationOver4GiBWorksWhereMemoryAllows()
    {
        using var device = CudaTestDevice.Open();
        const long size = (4L << 30) + 4096;
        if (device.MemoryInfo is not { } m || m.Free < size + (512L << 20))
        {
            output.WriteLine($"skipped in effect: {device.MemoryInfo?.Free:N0} bytes free, need {size + (512L << 20):N0}");
            return;
        }
        using var big = device.Allocate(size);
        var s = device.Stream;
        s.Fill(big, 7u);
        var tail = new uint[] { 1, 2, 3, 4 };
        s.Upload<uint>(big, tail, dstOffsetBytes: size - 16); // offset beyond 2^32
        Assert.Equal(new uint[] { 7, 7, 1, 2, 3, 4 }, ReadAt(s, big, size - 24, 6));
        Assert.Equal(new uint[] { 7, 7 }, ReadAt(s, big, 1L << 32, 2));
    }

    private static uint[] ReadAt(ComputeStream s, DeviceBuffer b, long offset, int count)
    {
        var r = new uint[count];
        s.Download<uint>(b, r, offset);
        return r;
    }

    [CudaFact]
    public void OutOfMemoryThrowsTypedAndLeavesTheDeviceUsable()
    {
        using var device = CudaTestDevice.Open();
        var (free, total) = device.MemoryInfo!.Value;
        var request = Math.Min(total, free + (1L << 30));
        if (request <= free) { output.WriteLine("cannot ask for more than free without exceeding total memory"); return; }
        using var keep = device.Allocate(1 << 20);
        device.Stream.Fill(keep, 42u);
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => device.Allocate(request));
        output.WriteLine(e.Message);
        Assert.Equal(request, e.RequestedBytes);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.StatusName);
        using var after = device.Allocate(1 << 20);
        device.Stream.Copy(keep, after, 1 << 20);
        Assert.All(device.Stream.Download<uint>(after, 1024), v => Assert.Equal(42u, v));
    }

    [CudaFact]
    public void CompileErrorNamesKernelFileAndLine()
    {
        using var device = CudaTestDevice.Open();
        const string bad = "#include \"common.h\"\n__kernel void broken(__global float* x)\n{\n    x[0] = undefined_symbol;\n}\n";
        var e = Assert.Throws<KernelBuildException>(() =>
            device.BuildFromSource(KernelSource.FromText("cuda_bad.cl", bad, KernelDefines.Empty, ComputeBackend.Cuda)));
        output.WriteLine(e.Message);
        Assert.Equal("cuda_bad.cl", e.KernelFile);
        Assert.Contains("cuda_bad.cl(4)", e.Message); // NVRTC's file(line) form, through the #line markers
        Assert.Contains("undefined_symbol", e.BuildLog);
        Assert.Contains("--gpu-architecture=compute_", e.Options);
    }

    [CudaFact]
    public void LaunchRunsKernelAndEventsTimeIt()
    {
        using var device = CudaTestDevice.Open();
        using var program = device.BuildFromSource(KernelSource.FromText("scale_test.cl", ScaleKernel, KernelDefines.Empty, ComputeBackend.Cuda));
        var kernel = program.GetKernel("scale");
        const int n = 100_003; // not a multiple of the work-group
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        using var buf = device.Allocate(n * 4L);
        var s = device.Stream;
        s.Upload<float>(buf, x);
        using var start = s.Record();
        s.Launch(kernel, [n], [256], new KernelArgs().Buffer(buf).Float(2f).Int(n).Long(3).UInt(1));
        using var end = s.Record();
        var ms = end.ElapsedSince(start);
        output.WriteLine($"scale over {n} floats: {ms:F4} ms");
        Assert.InRange(ms, 0.0, 10_000.0);
        var y = s.Download<float>(buf);
        for (int i = 0; i < n; i += 997) Assert.Equal(x[i] * 2f + 4f, y[i]);
        Assert.Equal(x[n - 1] * 2f + 4f, y[n - 1]);
        Assert.Throws<ArgumentException>(() => program.GetKernel("no_such_kernel"));
        if (((GpuSearch.Compute.Cuda.CudaKernel)kernel).ParamSizes is { } sizes) // CUDA 12.4+ drivers report parameters
        {
            Assert.Equal([8, 4, 4, 8, 4], sizes);
            Assert.Throws<ArgumentException>(() => s.Launch(kernel, [n], [256], new KernelArgs().Buffer(buf).Float(2f).Int(n).Int(3).UInt(1)));
        }
    }

    [CudaFact]
    public void StreamsWorkFromSeveralThreads()
    {
        using var device = CudaTestDevice.Open();
        Parallel.For(0, 4, t =>
        {
            using var stream = device.CreateStream();
            using var buf = device.Allocate(1 << 16);
            var data = Enumerable.Range(t * 1000, 1 << 14).ToArray();
            stream.Upload<int>(buf, data);
            Assert.Equal(data, stream.Download<int>(buf));
        });
    }

    [CudaFact]
    public void PreludeCoverageKernelCompilesWithNvrtc()
    {
        using var device = CudaTestDevice.Open();
        var text = File.ReadAllText(Path.Combine(ClangCuda.DialectFolder, "prelude_coverage.cl"));
        using var program = device.BuildFromSource(KernelSource.FromText("prelude_coverage.cl", text, KernelDefines.Empty, ComputeBackend.Cuda));
        Assert.NotNull(program.GetKernel("coverage"));
    }

    [CudaFact]
    public void EveryEmbeddedKernelCompilesWithNvrtc()
    {
        using var device = CudaTestDevice.Open();
        foreach (var file in KernelSource.EmbeddedFiles.Where(f => f.EndsWith(".cl", StringComparison.Ordinal)))
        {
            output.WriteLine(file);
            Assert.NotNull(device.GetProgram(file)); // defaults only; ops' own suites cover their tunables
        }
    }
}
