// A CUDA stream: transfers, fills, copies and launches are enqueued in order on it. Uploads and
// downloads from managed memory are async copies followed by a stream synchronize, so they return only
// when the host memory may be reused or read; the *Async forms from page-locked memory do not wait.
using GpuSearch.Native.Cuda;

namespace GpuSearch.Compute.Cuda;

internal sealed unsafe class CudaStream : ComputeStream
{
    private readonly CudaDevice _device;
    private readonly CuStreamHandle _stream;

    public CudaStream(CudaDevice device)
    {
        _device = device;
        using var scope = device.Enter();
        nint s = 0;
        CuStatus.ThrowIfFailed(CuApi.F.StreamCreate(&s, CuApi.StreamDefault), "cuStreamCreate");
        _stream = new CuStreamHandle(device.Context, s);
    }

    public override ComputeDevice Device => _device;
    private nint S => _stream.DangerousGetHandle();

    private CudaBuffer Own(DeviceBuffer b, string what)
    {
        if (b is not CudaBuffer cb || !ReferenceEquals(b.Device, _device))
            throw new ArgumentException($"{what} buffer belongs to {b.Device.Info.Id}, not {_device.Info.Id}");
        return cb;
    }

    protected override void UploadCore(DeviceBuffer dst, ReadOnlySpan<byte> src, long dstOffset)
    {
        var d = Own(dst, "Upload destination");
        using var scope = _device.Enter();
        fixed (byte* p = src)
        {
            CuStatus.ThrowIfFailed(CuApi.F.MemcpyHtoDAsync(d.Address(dstOffset), p, (nuint)src.Length, S), "cuMemcpyHtoDAsync");
            // The span is only pinned for this call: wait until the driver no longer reads it.
            CuStatus.ThrowIfFailed(CuApi.F.StreamSynchronize(S), "cuStreamSynchronize");
        }
    }

    protected override void DownloadCore(DeviceBuffer src, Span<byte> dst, long srcOffset)
    {
        var s = Own(src, "Download source");
        using var scope = _device.Enter();
        fixed (byte* p = dst)
        {
            CuStatus.ThrowIfFailed(CuApi.F.MemcpyDtoHAsync(p, s.Address(srcOffset), (nuint)dst.Length, S), "cuMemcpyDtoHAsync");
            CuStatus.ThrowIfFailed(CuApi.F.StreamSynchronize(S), "cuStreamSynchronize");
        }
    }

    // Page-locked memory: the copy engines read and write it directly, so these return at once.
    protected override void UploadAsyncCore(DeviceBuffer dst, nint src, long count, long dstOffset)
    {
        var d = Own(dst, "Upload destination");
        using var scope = _device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.MemcpyHtoDAsync(d.Address(dstOffset), (void*)src, (nuint)count, S), "cuMemcpyHtoDAsync");
    }

    protected override void DownloadAsyncCore(DeviceBuffer src, nint dst, long count, long srcOffset)
    {
        var s = Own(src, "Download source");
        using var scope = _device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.MemcpyDtoHAsync((void*)dst, s.Address(srcOffset), (nuint)count, S), "cuMemcpyDtoHAsync");
    }

    protected override void WaitCore(ComputeEvent ev)
    {
        var e = ev as CudaEvent ?? throw new ArgumentException("The event was not recorded on a CUDA stream", nameof(ev));
        using var scope = _device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.StreamWaitEvent(S, e.Handle, 0), "cuStreamWaitEvent");
    }

    protected override void FillCore(DeviceBuffer dst, uint pattern, long offset, long count)
    {
        var d = Own(dst, "Fill destination");
        using var scope = _device.Enter();
        // cuMemsetD32 counts 32-bit elements, not bytes; the base class guarantees 4-byte alignment.
        CuStatus.ThrowIfFailed(CuApi.F.MemsetD32Async(d.Address(offset), pattern, (nuint)(count / 4), S), "cuMemsetD32Async");
    }

    protected override void CopyCore(DeviceBuffer src, DeviceBuffer dst, long count, long srcOffset, long dstOffset)
    {
        var s = Own(src, "Copy source");
        var d = Own(dst, "Copy destination");
        using var scope = _device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.MemcpyDtoDAsync(d.Address(dstOffset), s.Address(srcOffset), (nuint)count, S), "cuMemcpyDtoDAsync");
    }

    protected override void LaunchCore(ComputeKernel kernel, ReadOnlySpan<long> global, ReadOnlySpan<int> local, KernelArgs args)
    {
        var k = kernel as CudaKernel ?? throw new ArgumentException($"{kernel.Name} is not a CUDA kernel", nameof(kernel));
        if (!ReferenceEquals(k.Device, _device))
            throw new ArgumentException($"Kernel {kernel.Name} was built for {k.Device.Info.Id}, not {_device.Info.Id}", nameof(kernel));

        // OpenCL geometry → CUDA: grid = global / local (global is already a multiple of local), block = local.
        Span<uint> grid = [1, 1, 1];
        Span<uint> block = [1, 1, 1];
        var p = _device.Props;
        ReadOnlySpan<int> maxGrid = [p.MaxGridX, p.MaxGridY, p.MaxGridZ];
        ReadOnlySpan<int> maxBlock = [p.MaxBlockX, p.MaxBlockY, p.MaxBlockZ];
        for (int i = 0; i < global.Length; i++)
        {
            var blocks = global[i] / local[i];
            if (blocks > maxGrid[i])
                throw new ArgumentOutOfRangeException(nameof(global),
                    $"Launch of {kernel.Name}: {blocks:N0} work-groups in dimension {i} exceed {_device.Info.Id}'s grid limit {maxGrid[i]:N0}");
            if (local[i] > maxBlock[i])
                throw new ArgumentOutOfRangeException(nameof(local),
                    $"Launch of {kernel.Name}: local[{i}] = {local[i]} exceeds {_device.Info.Id}'s block limit {maxBlock[i]}");
            grid[i] = (uint)blocks;
            block[i] = (uint)local[i];
        }

        var items = args.Items;
        if (items.Count > 64) throw new ArgumentException($"Launch of {kernel.Name}: {items.Count} arguments (at most 64)");
        if (k.ParamSizes is { } sizes) CheckArguments(kernel.Name, sizes, items);
        // One 8-byte slot per argument; kernelParams[i] points at slot i. 4-byte arguments use the
        // slot's first (lowest-addressed) bytes, which is where the driver reads them.
        var slots = stackalloc ulong[Math.Max(1, items.Count)];
        var ptrs = stackalloc void*[Math.Max(1, items.Count)];
        for (int i = 0; i < items.Count; i++)
        {
            var a = items[i];
            slots[i] = 0;
            switch (a.Kind)
            {
                case KernelArgKind.Buffer:
                    ObjectDisposedException.ThrowIf(a.Buffer!.IsDisposed, a.Buffer);
                    slots[i] = Own(a.Buffer, $"Argument {i} of {kernel.Name}").Address();
                    break;
                case KernelArgKind.Int32 or KernelArgKind.UInt32 or KernelArgKind.Float32:
                    *(int*)&slots[i] = (int)a.Bits;
                    break;
                case KernelArgKind.Int64:
                    slots[i] = (ulong)a.Bits;
                    break;
                default:
                    throw new ArgumentException($"Argument {i} of {kernel.Name}: unsupported kind {a.Kind}");
            }
            ptrs[i] = &slots[i];
        }

        using var scope = _device.Enter();
        var st = CuApi.F.LaunchKernel(k.Function, grid[0], grid[1], grid[2], block[0], block[1], block[2], 0, S, ptrs, null);
        if (st == CuStatus.Success) return;
        var hint = st == CuStatus.LaunchOutOfResources
            ? $"a block of {block[0] * block[1] * block[2]} threads needs more registers or shared memory than one SM has; use a smaller work-group"
            : null;
        throw new CudaException($"cuLaunchKernel({kernel.Name})", st, CuStatus.Name(st), CuStatus.Describe(st), hint);
    }

    /// <summary>Argument count and widths against the kernel's parameters (as clSetKernelArg checks them).</summary>
    private static void CheckArguments(string kernel, int[] sizes, IReadOnlyList<KernelArg> items)
    {
        if (sizes.Length != items.Count)
            throw new ArgumentException($"Launch of {kernel}: the kernel takes {sizes.Length} argument(s), {items.Count} given");
        for (int i = 0; i < sizes.Length; i++)
        {
            var width = items[i].Kind is KernelArgKind.Buffer or KernelArgKind.Int64 ? 8 : 4;
            if (sizes[i] != width)
                throw new ArgumentException(
                    $"Launch of {kernel}: argument {i} is {items[i].Kind} ({width} bytes) but the kernel parameter is {sizes[i]} bytes");
        }
    }

    public override ComputeEvent Record()
    {
        using var scope = _device.Enter();
        nint e = 0;
        CuStatus.ThrowIfFailed(CuApi.F.EventCreate(&e, CuApi.EventDefault), "cuEventCreate");
        var ev = new CuEventHandle(_device.Context, e);
        var st = CuApi.F.EventRecord(e, S);
        if (st != CuStatus.Success)
        {
            ev.Dispose();
            throw CuStatus.Create(st, "cuEventRecord");
        }
        return new CudaEvent(_device, ev);
    }

    public override void Synchronize()
    {
        using var scope = _device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.StreamSynchronize(S), "cuStreamSynchronize");
    }

    protected override void DisposeCore()
    {
        try
        {
            using var scope = _device.Enter();
            CuApi.F.StreamSynchronize(S); // pending work ends before the stream goes; errors are moot here
        }
        catch (ObjectDisposedException) { } // the device went first; the handle still holds the context
        _stream.Dispose();
    }
}

/// <summary>A recorded CUDA event; pairs give device-side elapsed time.</summary>
internal sealed unsafe class CudaEvent(CudaDevice device, CuEventHandle ev) : ComputeEvent
{
    internal nint Handle => ev.DangerousGetHandle();

    public override void Wait()
    {
        using var scope = device.Enter();
        CuStatus.ThrowIfFailed(CuApi.F.EventSynchronize(Handle), "cuEventSynchronize");
    }

    public override double ElapsedSince(ComputeEvent start)
    {
        var s = start as CudaEvent ?? throw new ArgumentException("start is not a CUDA event", nameof(start));
        s.Wait();
        Wait();
        using var scope = device.Enter();
        float ms = 0;
        CuStatus.ThrowIfFailed(CuApi.F.EventElapsedTime(&ms, s.Handle, Handle), "cuEventElapsedTime");
        return ms;
    }

    public override void Dispose() => ev.Dispose();
}
