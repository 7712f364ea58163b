// Scenarios run by FakeCudaTests inside an isolated load context whose CUDA probes point at the
// fake driver and fake NVRTC (FakeCuda/*.c). They exercise the real binding code end to end:
// function-pointer signatures, kernelParams marshalling, context push/pop on every call, offsets,
// error text from cuGetErrorName/String, the JIT log options, the PTX cache and handle lifetimes.
// Each scenario ends by checking that every context reference and allocation was released.
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using GpuSearch.Compute;
using GpuSearch.Compute.Cuda;
using GpuSearch.Native.Cuda;
using GpuSearch.Native.Nvrtc;

namespace GpuSearch.Tests.Compute;

public static unsafe class FakeCudaScenarios
{
    private static nint _cuda, _nvrtc;

    private const string Scale =
        "#include \"common.h\"\n" +
        "__kernel void scale(__global float* x, const float a, const int n, const long add, const uint mask)\n" +
        "{\n    const idx_t i = GID0;\n    if (i < n) x[i] = x[i] * a + (float)add + (float)(mask & 1u);\n}\n" +
        "__kernel void noop(__global float* x) { }\n";

    /// <summary>Called once, in the isolated context only, before any CUDA use there.</summary>
    public static void Configure(string cudaLibrary, string nvrtcLibrary)
    {
        if (AssemblyLoadContext.GetLoadContext(typeof(CuApi).Assembly) == AssemblyLoadContext.Default)
            throw new InvalidOperationException("fake CUDA scenarios must run in an isolated load context");
        CuApi.CandidatesOverride = [cudaLibrary];
        NvrtcApi.CandidatesOverride = [nvrtcLibrary];
        _cuda = NativeLibrary.Load(cudaLibrary);
        _nvrtc = NativeLibrary.Load(nvrtcLibrary);
    }

    private static int Hook(string name) => ((delegate* unmanaged<int>)NativeLibrary.GetExport(name.StartsWith("fake_nvrtc", StringComparison.Ordinal) ? _nvrtc : _cuda, name))();

    private static CudaDevice Open() => (CudaDevice)CudaBackend.Instance.Open(CudaBackend.Instance.Devices[0]);

    private static void AssertReleased()
    {
        Assert.Equal(0, Hook("fake_live_allocations"));
        Assert.Equal(0, Hook("fake_primary_refcount"));
        Assert.Equal(0, Hook("fake_context_depth")); // every push was popped on this thread
    }

    private static KernelSource Source(string name, string text) => KernelSource.FromText(name, text, KernelDefines.Empty, ComputeBackend.Cuda);

    public static void Enumerates(Action<string> log)
    {
        Assert.Null(CudaBackend.Instance.UnavailableReason);
        var d = Assert.Single(CudaBackend.Instance.Devices);
        log($"{d.Id}: {d.Name} | {d.DriverVersion} | {d.GlobalMemoryBytes} B | {d.ComputeUnits} SMs");
        Assert.Equal(("cuda:0", "Fake CUDA Device", "NVIDIA"), (d.Id, d.Name, d.Vendor));
        Assert.Equal("CUDA driver 12.4, NVRTC 12.4, sm_90", d.DriverVersion);
        Assert.Equal(1L << 30, d.GlobalMemoryBytes);
        Assert.Equal(1L << 30, d.MaxAllocationBytes);
        Assert.Equal((49152L, 132, 1024), (d.LocalMemoryBytes, d.ComputeUnits, d.MaxWorkGroupSize));
        Assert.True(d.SupportsFp16 && d.SupportsFp64 && !d.IsCpu);
        // The fake driver refuses the L2-size attribute: an optional attribute must not fail enumeration.
        Assert.Equal(0, d.CacheBytes);
        var registry = DeviceRegistry.Default;
        Assert.Equal("cuda:0", registry.Resolve("auto")[0].Id);
        Assert.Equal("cuda:0", registry.Resolve("cuda:0")[0].Id);
        using (var device = registry.Open("cuda"))
            Assert.Equal((1L << 30, 1L << 30), device.MemoryInfo);
        AssertReleased();
    }

    public static void MemoryRoundTrips(Action<string> log)
    {
        using (var device = Open())
        {
            var s = device.Stream;
            using var a = device.Allocate(4096);
            using var b = device.Allocate(4096);
            Assert.Equal((1L << 30) - 8192, device.MemoryInfo!.Value.Free);
            s.Fill(a, 0xDEADBEEFu);
            var data = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
            s.Upload<float>(a, data, dstOffsetBytes: 16);
            var back = new float[1000];
            s.Download<float>(a, back, srcOffsetBytes: 16);
            Assert.Equal(data, back);
            Assert.Equal(new uint[] { 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF }, s.Download<uint>(a, 4));
            Assert.Equal(0xDEADBEEFu, Tail(s, a)); // the fill covered the whole buffer (count is in 32-bit words)
            s.Fill(b, 1.5f, offsetBytes: 8, byteCount: 4088);
            s.Copy(a, b, 400, srcOffsetBytes: 16, dstOffsetBytes: 800);
            var all = s.Download<float>(b);
            Assert.Equal((1.5f, 1.5f), (all[2], all[199]));
            Assert.Equal(data[..100], all[200..300]);
            Assert.Equal(1.5f, all[1023]);
            s.Synchronize();
            log("round trips ok");
        }
        AssertReleased();
    }

    public static void AsyncTransfersAndStreamWaits(Action<string> log)
    {
        using (var device = Open())
        {
            using var upload = device.CreateStream();
            var compute = device.Stream;
            using var buf = device.Allocate(4096);
            using var host = device.AllocatePinned(4096);
            using var back = device.AllocatePinned(4096);
            Assert.True(host.IsPageLocked);
            Assert.Equal(2, Hook("fake_live_host_allocations"));
            var src = host.AsSpan<float>();
            for (int i = 0; i < src.Length; i++) src[i] = i * 0.25f;
            upload.UploadAsync(buf, host, 64, 1024, dstOffsetBytes: 128);
            using var uploaded = upload.Record();
            int waits = Hook("fake_stream_waits");
            compute.Wait(uploaded);
            Assert.Equal(waits + 1, Hook("fake_stream_waits"));
            compute.DownloadAsync(buf, back, 128, 1024, dstOffsetBytes: 8);
            using var done = compute.Record();
            done.Wait();
            Assert.Equal(src.Slice(16, 256).ToArray(), back.AsSpan<float>().Slice(2, 256).ToArray());
            // Ranges are checked on both sides before anything is enqueued.
            Assert.Throws<ArgumentOutOfRangeException>(() => upload.UploadAsync(buf, host, 4000, 200));
            Assert.Throws<ArgumentOutOfRangeException>(() => compute.DownloadAsync(buf, back, 0, 200, dstOffsetBytes: 3900));
            log("async upload, cross-stream wait and async download ok");
        }
        Assert.Equal(0, Hook("fake_live_host_allocations"));
        AssertReleased();
    }

    private static uint Tail(ComputeStream s, DeviceBuffer b)
    {
        var r = new uint[1];
        s.Download<uint>(b, r, b.Length - 4);
        return r[0];
    }

    public static void OutOfMemoryRecovers(Action<string> log)
    {
        using (var device = Open())
        {
            using var keep = device.Allocate(1 << 20);
            device.Stream.Fill(keep, 42u);
            var request = device.MemoryInfo!.Value.Free + 4096;
            var e = Assert.Throws<DeviceOutOfMemoryException>(() => device.Allocate(request));
            log(e.Message);
            Assert.Equal(request, e.RequestedBytes);
            Assert.Equal(("cuMemAlloc", "CUDA_ERROR_OUT_OF_MEMORY"), (e.Api, e.StatusName));
            Assert.Contains("fake: out of memory", e.Message); // cuGetErrorString's text
            Assert.Contains("cuda:0", e.Message);
            var tooBig = Assert.Throws<DeviceOutOfMemoryException>(() => device.Allocate((1L << 30) + 1));
            Assert.Equal("MAX_ALLOCATION_EXCEEDED", tooBig.StatusName);
            using var after = device.Allocate(1 << 20);
            device.Stream.Copy(keep, after, 1 << 20);
            Assert.All(device.Stream.Download<uint>(after), v => Assert.Equal(42u, v));
        }
        AssertReleased();
    }

    public static void BuildsAndLaunches(Action<string> log)
    {
        using (var device = Open())
        {
            // Fixed text: after the first run this comes from the on-disk PTX cache (one stable entry).
            using var program = device.BuildFromSource(Source("scale_fake.cl", Scale));
            var scale = program.GetKernel("scale");
            const int n = 1000;
            using var buf = device.Allocate(n * 4);
            var s = device.Stream;
            s.Upload<float>(buf, Enumerable.Range(0, n).Select(i => (float)i).ToArray());
            using var start = s.Record();
            s.Launch(scale, [n], [256], new KernelArgs().Buffer(buf).Float(2f).Int(n).Long(3L << 33).UInt(3));
            using var end = s.Record();
            Assert.InRange(end.ElapsedSince(start), 0.0, 10_000.0);
            Assert.Equal(((4u, 1u, 1u), (256u, 1u, 1u)), Geometry());
            var y = s.Download<float>(buf);
            for (int i = 0; i < n; i++) Assert.Equal(i * 2f + (3L << 33) + 1f, y[i]);

            s.Launch(program.GetKernel("noop"), [100, 7], [16, 4], new KernelArgs().Buffer(buf));
            Assert.Equal(((7u, 2u, 1u), (16u, 4u, 1u)), Geometry()); // global rounded up to 112 x 8
            var noop = program.GetKernel("noop");
            var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
                s.Launch(noop, [5, 5, 70_000L * 2], [1, 1, 2], new KernelArgs().Buffer(buf))); // grid z 70,000 > 65,535
            Assert.Contains("grid limit", e.Message);
            Assert.Throws<ArgumentException>(() => program.GetKernel("missing"));
            // Parameter checks from cuFuncGetParamInfo: wrong width (int for long) and wrong count.
            var width = Assert.Throws<ArgumentException>(() =>
                s.Launch(scale, [n], [256], new KernelArgs().Buffer(buf).Float(2f).Int(n).Int(3).UInt(1)));
            Assert.Contains("argument 3 is Int32 (4 bytes) but the kernel parameter is 8 bytes", width.Message);
            var count = Assert.Throws<ArgumentException>(() => s.Launch(scale, [n], [256], new KernelArgs().Buffer(buf)));
            Assert.Contains("takes 5 argument(s), 1 given", count.Message);
        }
        AssertReleased();
    }

    private static ((uint, uint, uint), (uint, uint, uint)) Geometry()
    {
        uint* g = stackalloc uint[3];
        uint* b = stackalloc uint[3];
        ((delegate* unmanaged<uint*, uint*, void>)NativeLibrary.GetExport(_cuda, "fake_last_geometry"))(g, b);
        return ((g[0], g[1], g[2]), (b[0], b[1], b[2]));
    }

    public static void CompileErrorNamesFileAndLine(Action<string> log)
    {
        using (var device = Open())
        {
            const string bad = "#include \"common.h\"\n__kernel void broken(__global float* x)\n{\n    x[0] = undefined_symbol;\n}\n";
            var e = Assert.Throws<KernelBuildException>(() => device.BuildFromSource(Source("cuda_bad.cl", bad)));
            log(e.Message);
            // Failed builds are never cached, so NVRTC ran and saw exactly these options.
            var options = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)NativeLibrary.GetExport(_nvrtc, "fake_nvrtc_last_options"))());
            Assert.Equal("--gpu-architecture=compute_90 -default-device --std=c++17 ", options);
            Assert.Equal("cuda_bad.cl", e.KernelFile);
            Assert.Contains("cuda_bad.cl(4): error: identifier \"undefined_symbol\" is undefined", e.Message);
            Assert.Contains("--gpu-architecture=compute_90", e.Options);
            Assert.Contains("cuda:0 (Fake CUDA Device)", e.Message);
        }
        AssertReleased();
    }

    public static void JitFailureCarriesTheJitLog(Action<string> log)
    {
        using (var device = Open())
        {
            var e = Assert.Throws<CudaException>(() => device.BuildFromSource(Source("bad_ptx.cl",
                "// emit_bad_ptx\n__kernel void k(__global float* x) { }\n")));
            log(e.Message);
            Assert.Equal(("cuModuleLoadDataEx", CuStatus.InvalidPtx, "CUDA_ERROR_INVALID_PTX"), (e.Api, e.Status, e.StatusName));
            Assert.Contains("JIT log: fake JIT: image has no .version directive", e.Message);
            Assert.Equal("fake: a PTX JIT compilation failed", e.NativeMessage);
        }
        AssertReleased();
    }

    public static void PtxCacheSkipsRecompilation(Action<string> log)
    {
        if (KernelCache.Directory is null) { log("kernel cache disabled (GPUSEARCH_KERNEL_CACHE=off): nothing to check"); return; }
        var text = "// cache scenario\n" + Scale; // fixed text: one stable cache entry, not one per run
        using (var first = Open())
            first.BuildFromSource(Source("cached_fake.cl", text)).Dispose();
        var compiles = Hook("fake_nvrtc_compiles");
        using (var second = Open())
        using (var program = second.BuildFromSource(Source("cached_fake.cl", text)))
            Assert.NotNull(program.GetKernel("scale"));
        Assert.Equal(compiles, Hook("fake_nvrtc_compiles"));
        log($"second build came from {KernelCache.Directory}");
        AssertReleased();
    }

    public static void SeveralThreadsShareADevice(Action<string> log)
    {
        using (var device = Open())
        {
            Parallel.For(0, 8, t =>
            {
                using var stream = device.CreateStream();
                using var buf = device.Allocate(1 << 16);
                var data = Enumerable.Range(t * 1000, 1 << 14).ToArray();
                stream.Upload<int>(buf, data);
                Assert.Equal(data, stream.Download<int>(buf));
                Assert.Equal(0, Hook("fake_context_depth")); // popped on this worker thread too
            });
        }
        AssertReleased();
        log("8 threads ok");
    }

    public static void NvrtcRejectedOptionIsNamed(Action<string> log)
    {
        var e = Assert.Throws<ComputeException>(() => NvrtcCompiler.Compile("int x;", "opts.cl", ["--bogus-option"]));
        log(e.Message);
        Assert.Contains("NVRTC_ERROR_INVALID_OPTION (5)", e.Message);
        Assert.Contains("'--bogus-option'", e.Message);
        Assert.Contains("NVRTC 12.4", e.Message);
    }

    public static void ArchIsClampedToWhatNvrtcSupports(Action<string> log)
    {
        // The fake NVRTC knows compute_75, 80 and 90.
        Assert.Equal(90, NvrtcCompiler.ArchFor(9, 0));
        Assert.Equal(90, NvrtcCompiler.ArchFor(12, 0)); // newer GPU: newest PTX this NVRTC can emit
        Assert.Equal(80, NvrtcCompiler.ArchFor(8, 6));
        Assert.Equal(70, NvrtcCompiler.ArchFor(7, 0)); // older than anything known: passed through for NVRTC to reject
        log("arch clamping ok");
    }
}
