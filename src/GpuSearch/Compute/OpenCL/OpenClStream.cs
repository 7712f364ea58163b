// OpenCL command queue with profiling on, so markers give device-side elapsed times.
using System.Diagnostics;
using System.Text;
using GpuSearch.Native.OpenCL;
using static GpuSearch.Native.OpenCL.ClStatus;

namespace GpuSearch.Compute.OpenCL;

internal sealed unsafe class OpenClStream : ComputeStream
{
    private readonly OpenClDevice _device;
    private readonly ClQueueHandle _queue;

    public OpenClStream(OpenClDevice device)
    {
        _device = device;
        int st;
        var q = ClApi.F.CreateCommandQueue(device.Context.DangerousGetHandle(), device.DeviceId, ClApi.QueueProfilingEnable, &st);
        ThrowIfFailed(st, "clCreateCommandQueue");
        _queue = new ClQueueHandle(q);
    }

    public override ComputeDevice Device => _device;
    private nint Q => _queue.DangerousGetHandle();
    private static nint M(DeviceBuffer b) => ((OpenClBuffer)b).Mem.DangerousGetHandle();

    protected override void UploadCore(DeviceBuffer dst, ReadOnlySpan<byte> src, long dstOffset)
    {
        fixed (byte* p = src)
            ThrowIfFailed(ClApi.F.EnqueueWriteBuffer(Q, M(dst), ClApi.True, (nuint)dstOffset, (nuint)src.Length, p, 0, null, null));
    }

    protected override void DownloadCore(DeviceBuffer src, Span<byte> dst, long srcOffset)
    {
        fixed (byte* p = dst)
            ThrowIfFailed(ClApi.F.EnqueueReadBuffer(Q, M(src), ClApi.True, (nuint)srcOffset, (nuint)dst.Length, p, 0, null, null));
    }

    // Non-blocking transfers; the flush hands them to the device now instead of at the next wait, so they
    // run while the host prepares the next batch.
    protected override void UploadAsyncCore(DeviceBuffer dst, nint src, long count, long dstOffset)
    {
        ThrowIfFailed(ClApi.F.EnqueueWriteBuffer(Q, M(dst), ClApi.False, (nuint)dstOffset, (nuint)count, (void*)src, 0, null, null));
        ThrowIfFailed(ClApi.F.Flush(Q));
    }

    protected override void DownloadAsyncCore(DeviceBuffer src, nint dst, long count, long srcOffset)
    {
        ThrowIfFailed(ClApi.F.EnqueueReadBuffer(Q, M(src), ClApi.False, (nuint)srcOffset, (nuint)count, (void*)dst, 0, null, null));
        ThrowIfFailed(ClApi.F.Flush(Q));
    }

    protected override void WaitCore(ComputeEvent ev)
    {
        var h = (ev as OpenClEvent ?? throw new ArgumentException("The event was not recorded on an OpenCL stream", nameof(ev))).Handle;
        ThrowIfFailed(ClApi.F.EnqueueBarrierWithWaitList(Q, 1, &h, null));
    }

    protected override void FillCore(DeviceBuffer dst, uint pattern, long offset, long count) =>
        ThrowIfFailed(ClApi.F.EnqueueFillBuffer(Q, M(dst), &pattern, 4, (nuint)offset, (nuint)count, 0, null, null));

    protected override void CopyCore(DeviceBuffer src, DeviceBuffer dst, long count, long srcOffset, long dstOffset) =>
        ThrowIfFailed(ClApi.F.EnqueueCopyBuffer(Q, M(src), M(dst), (nuint)srcOffset, (nuint)dstOffset, (nuint)count, 0, null, null));

    protected override void LaunchCore(ComputeKernel kernel, ReadOnlySpan<long> global, ReadOnlySpan<int> local, KernelArgs args)
    {
        var k = (OpenClKernel)kernel;
        // A kernel object holds its arguments, so setting and enqueueing must not interleave across threads.
        lock (k)
        {
            var items = args.Items;
            for (int i = 0; i < items.Count; i++)
            {
                var a = items[i];
                int st;
                switch (a.Kind)
                {
                    case KernelArgKind.Buffer:
                        var mem = M(a.Buffer!);
                        st = ClApi.F.SetKernelArg(k.Handle, (uint)i, (nuint)sizeof(nint), &mem);
                        break;
                    case KernelArgKind.Int32 or KernelArgKind.UInt32 or KernelArgKind.Float32:
                        var v32 = (int)a.Bits;
                        st = ClApi.F.SetKernelArg(k.Handle, (uint)i, 4, &v32);
                        break;
                    default:
                        var v64 = a.Bits;
                        st = ClApi.F.SetKernelArg(k.Handle, (uint)i, 8, &v64);
                        break;
                }
                if (st != 0)
                    throw new OpenClException($"clSetKernelArg({kernel.Name}, arg {i} {a.Kind})", st, Name(st));
            }
            int dims = global.Length;
            nuint* g = stackalloc nuint[dims];
            nuint* l = stackalloc nuint[dims];
            for (int i = 0; i < dims; i++) { g[i] = (nuint)global[i]; l[i] = (nuint)local[i]; }
            var status = ClApi.F.EnqueueNDRangeKernel(Q, k.Handle, (uint)dims, null, g, l, 0, null, null);
            if (status != 0)
            {
                var e = Create(status, $"clEnqueueNDRangeKernel({kernel.Name})");
                throw e is OpenClException ? new OpenClException($"clEnqueueNDRangeKernel({kernel.Name})", status, Name(status)) : e;
            }
        }
    }

    public override ComputeEvent Record()
    {
        nint ev;
        ThrowIfFailed(ClApi.F.EnqueueMarkerWithWaitList(Q, 0, null, &ev));
        ThrowIfFailed(ClApi.F.Flush(Q));
        return new OpenClEvent(new ClEventHandle(ev));
    }

    public override void Synchronize() => ThrowIfFailed(ClApi.F.Finish(Q));

    protected override void DisposeCore()
    {
        ClApi.F.Finish(Q); // pending work must end before the queue goes; errors are moot here
        _queue.Dispose();
    }
}

internal sealed unsafe class OpenClEvent(ClEventHandle ev) : ComputeEvent
{
    private long _hostDoneTicks;

    internal nint Handle => ev.DangerousGetHandle();

    public override void Wait()
    {
        var h = ev.DangerousGetHandle();
        ThrowIfFailed(ClApi.F.WaitForEvents(1, &h));
        if (_hostDoneTicks == 0) _hostDoneTicks = Stopwatch.GetTimestamp();
    }

    private ulong? DeviceEnd()
    {
        ulong t = 0;
        return ClApi.F.GetEventProfilingInfo(ev.DangerousGetHandle(), ClApi.ProfilingCommandEnd, 8, &t, null) == 0 && t != 0 ? t : null;
    }

    public override double ElapsedSince(ComputeEvent start)
    {
        var s = (OpenClEvent)start;
        s.Wait();
        Wait();
        if (s.DeviceEnd() is { } a && DeviceEnd() is { } b && b >= a) return (b - a) / 1e6;
        return Stopwatch.GetElapsedTime(s._hostDoneTicks, _hostDoneTicks).TotalMilliseconds; // no profiling: host clock
    }

    public override void Dispose() => ev.Dispose();
}

internal sealed class OpenClProgram(string file, ClProgramHandle program) : ComputeProgram(file)
{
    protected override unsafe ComputeKernel CreateKernel(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        int st;
        nint k;
        fixed (byte* b = bytes) k = ClApi.F.CreateKernel(program.DangerousGetHandle(), b, &st);
        if (st == -46) throw new ArgumentException($"Kernel '{name}' does not exist in {KernelFile} (CL_INVALID_KERNEL_NAME)", nameof(name));
        ThrowIfFailed(st, "clCreateKernel");
        return new OpenClKernel(name, new ClKernelHandle(k));
    }

    protected override void DisposeCore() => program.Dispose();
}

internal sealed class OpenClKernel(string name, ClKernelHandle handle) : ComputeKernel(name)
{
    public nint Handle => handle.DangerousGetHandle();
    public override void Dispose() { handle.Dispose(); base.Dispose(); }
}
