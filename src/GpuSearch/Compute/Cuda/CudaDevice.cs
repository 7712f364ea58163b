// An open CUDA device: the device's primary context (shared with any other CUDA user in the
// process, e.g. a framework), memory, streams, and programs compiled by NVRTC to PTX with the PTX
// cached on disk. Every operation makes the context current on the calling thread, so several
// threads may use one device.
using GpuSearch.Native.Cuda;
using GpuSearch.Native.Nvrtc;

namespace GpuSearch.Compute.Cuda;

internal sealed unsafe class CudaDevice : ComputeDevice
{
    private readonly DeviceInfo _info;

    internal CudaDeviceProps Props { get; }
    internal CuContextHandle Context { get; }

    public CudaDevice(DeviceInfo info, CudaDeviceProps props)
    {
        _info = info;
        Props = props;
        nint ctx = 0;
        CuStatus.ThrowIfFailed(CuApi.F.DevicePrimaryCtxRetain(&ctx, props.Ordinal), "cuDevicePrimaryCtxRetain");
        Context = new CuContextHandle(ctx, props.Ordinal);
    }

    public override DeviceInfo Info => _info;

    /// <summary>Makes this device's context current until the scope ends.</summary>
    internal CuContextScope Enter() => Context.Enter();

    protected override DeviceBuffer AllocateCore(long bytes)
    {
        using var scope = Enter();
        ulong ptr = 0;
        var st = CuApi.F.MemAlloc(&ptr, (nuint)bytes);
        if (st == CuStatus.OutOfMemory)
        {
            // Not sticky in CUDA: the context and every other allocation stay valid.
            var free = MemoryInfo?.Free;
            throw new DeviceOutOfMemoryException(
                $"cuMemAlloc of {bytes:N0} bytes on {Info.Id} ({Info.Name}) failed: {CuStatus.Name(st)} ({st}): {CuStatus.Describe(st)}" +
                (free is { } f ? $"; {f:N0} bytes free" : ""),
                "cuMemAlloc", CuStatus.Name(st)) { RequestedBytes = bytes };
        }
        if (st != CuStatus.Success) throw CuStatus.Create(st, "cuMemAlloc", bytes);
        return new CudaBuffer(this, bytes, new CuMemoryHandle(Context, ptr));
    }

    protected override PinnedHostBuffer AllocatePinnedCore(long bytes)
    {
        using var scope = Enter();
        void* p = null;
        var st = CuApi.F.MemHostAlloc(&p, (nuint)bytes, 0);
        if (st != CuStatus.Success) throw CuStatus.Create(st, "cuMemHostAlloc", bytes);
        return new CudaHostBuffer(this, bytes, new CuHostMemoryHandle(Context, (nint)p));
    }

    public override ComputeStream CreateStream() => new CudaStream(this);

    public override (long Free, long Total)? MemoryInfo
    {
        get
        {
            if (IsDisposed) return null;
            using var scope = Enter();
            nuint free = 0, total = 0;
            return CuApi.F.MemGetInfo(&free, &total) == CuStatus.Success ? ((long)free, (long)total) : null;
        }
    }

    /// <summary>NVRTC options for this device; part of the cache key.</summary>
    internal IReadOnlyList<string> CompileOptions()
    {
        var arch = NvrtcCompiler.ArchFor(Props.CcMajor, Props.CcMinor);
        // -default-device: helper functions in kernel files need no __device__ (they are OpenCL C).
        return [$"--gpu-architecture=compute_{arch}", "-default-device", "--std=c++17"];
    }

    protected override ComputeProgram BuildProgram(KernelSource source)
    {
        var options = CompileOptions();
        var (major, minor) = NvrtcCompiler.Version;
        var optionText = string.Join(" ", options);
        var key = KernelCache.Key(source, $"{optionText} nvrtc={major}.{minor}", Info);
        if (KernelCache.TryRead(key) is { } cached && TryLoad(cached, out var module, out _))
            return new CudaProgram(source.FileName, this, module!);

        var result = CompileFromSource(source, () => NvrtcCompiler.Compile(source.Text, source.FileName, options));
        if (result.Ptx is null)
            throw new KernelBuildException(source.FileName, $"{optionText} {source.Defines}".Trim(),
                result.Log.Length > 0 ? result.Log : "(NVRTC returned no log)", $"{Info.Id} ({Info.Name})");
        if (!TryLoad(result.Ptx, out module, out var failure))
            throw failure!;
        KernelCache.TryWrite(key, result.Ptx);
        return new CudaProgram(source.FileName, this, module!);
    }

    /// <summary>Builds a source that is not an embedded file (tests, user kernels); not cached in memory.</summary>
    internal ComputeProgram BuildFromSource(KernelSource source)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return BuildProgram(source);
    }

    /// <summary>Loads PTX into the context; on failure returns false with an exception carrying the JIT log.</summary>
    private bool TryLoad(byte[] ptx, out CuModuleHandle? module, out Exception? failure)
    {
        module = null;
        failure = null;
        if (ptx.Length == 0 || ptx[^1] != 0) { failure = new ComputeException("PTX image is not NUL-terminated"); return false; }
        const int logSize = 16 * 1024;
        var errorLog = new byte[logSize];
        using var scope = Enter();
        nint mod = 0;
        int st;
        fixed (byte* image = ptx)
        fixed (byte* log = errorLog)
        {
            var opts = stackalloc int[2] { CuApi.JitErrorLogBuffer, CuApi.JitErrorLogBufferSizeBytes };
            var vals = stackalloc void*[2];
            vals[0] = log;
            vals[1] = (void*)(nint)logSize; // integer options travel in the pointer slot
            st = CuApi.F.ModuleLoadDataEx(&mod, image, 2, opts, vals);
        }
        if (st == CuStatus.Success)
        {
            module = new CuModuleHandle(Context, mod);
            return true;
        }
        var jitLog = System.Text.Encoding.UTF8.GetString(errorLog).TrimEnd('\0', '\n');
        var detail = st == CuStatus.UnsupportedPtxVersion
            ? $"NVRTC {NvrtcCompiler.Version.Major}.{NvrtcCompiler.Version.Minor} ({NvrtcApi.LoadedFrom}) emits PTX newer than " +
              $"CUDA driver {CudaBackend.FormatVersion(Props.DriverVersion)} accepts; use an NVRTC no newer than the driver (GPUSEARCH_NVRTC)"
            : null;
        var text = string.Join("\n", new[] { detail, jitLog.Length > 0 ? "JIT log: " + jitLog : null }.Where(s => s is not null));
        failure = st == CuStatus.OutOfMemory
            ? CuStatus.Create(st, "cuModuleLoadDataEx")
            : new CudaException("cuModuleLoadDataEx", st, CuStatus.Name(st), CuStatus.Describe(st), text.Length > 0 ? text : null);
        return false;
    }

    protected override void DisposeCore() => Context.Dispose();
}

internal sealed class CudaBuffer(CudaDevice device, long length, CuMemoryHandle memory) : DeviceBuffer(device, length)
{
    public CuMemoryHandle Memory { get; } = memory;

    /// <summary>The device address of byte <paramref name="offset"/>.</summary>
    public ulong Address(long offset = 0) => Memory.Pointer + (ulong)offset;

    protected override void Free() => Memory.Dispose();
}

/// <summary>Page-locked host memory of one device's context.</summary>
internal sealed class CudaHostBuffer(CudaDevice device, long length, CuHostMemoryHandle memory) : PinnedHostBuffer(device, length)
{
    public override bool IsPageLocked => true;
    protected internal override nint Pointer => memory.DangerousGetHandle();
    protected override void Free() => memory.Dispose();
}
