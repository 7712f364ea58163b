// An in-order queue of transfers and kernel launches. Asynchronous transfers from pinned host memory
// and cross-stream waits on events let an upload stream run beside the compute stream. Launch geometry
// follows OpenCL: a global size in work-items and a local (work-group) size; backends round it up.
using System.Runtime.InteropServices;

namespace GpuSearch.Compute;

/// <summary>An in-order stream (OpenCL command queue / CUDA stream).</summary>
internal abstract class ComputeStream : IDisposable
{
    /// <summary>The device the stream runs on.</summary>
    public abstract ComputeDevice Device { get; }
    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Copies host data into the buffer at <paramref name="dstOffsetBytes"/>. Returns when the host span may be reused.</summary>
    public void Upload<T>(DeviceBuffer dst, ReadOnlySpan<T> src, long dstOffsetBytes = 0) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(src);
        dst.CheckRange(dstOffsetBytes, bytes.Length, nameof(dstOffsetBytes));
        if (bytes.Length == 0) return;
        UploadCore(dst, bytes, dstOffsetBytes);
    }

    /// <summary>Copies device data into host memory; returns when the data is there.</summary>
    public void Download<T>(DeviceBuffer src, Span<T> dst, long srcOffsetBytes = 0) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(dst);
        src.CheckRange(srcOffsetBytes, bytes.Length, nameof(srcOffsetBytes));
        if (bytes.Length == 0) return;
        DownloadCore(src, bytes, srcOffsetBytes);
    }

    /// <summary>
    /// Enqueues a copy of <paramref name="byteCount"/> bytes from pinned host memory and returns at once. The host
    /// bytes must stay unchanged until an event recorded after this call has completed; commands enqueued later on
    /// this stream see the data, other streams after <see cref="Wait"/> on such an event.
    /// </summary>
    public void UploadAsync(DeviceBuffer dst, PinnedHostBuffer src, long srcOffsetBytes, long byteCount, long dstOffsetBytes = 0)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentNullException.ThrowIfNull(dst);
        ArgumentNullException.ThrowIfNull(src);
        CheckSameDevice(src, nameof(src));
        src.CheckRange(srcOffsetBytes, byteCount, nameof(srcOffsetBytes));
        dst.CheckRange(dstOffsetBytes, byteCount, nameof(dstOffsetBytes));
        if (byteCount == 0) return;
        src.NoteUse(this);
        UploadAsyncCore(dst, src.Pointer + (nint)srcOffsetBytes, byteCount, dstOffsetBytes);
    }

    /// <summary>
    /// Enqueues a copy of <paramref name="byteCount"/> bytes into pinned host memory and returns at once; the bytes
    /// are there once an event recorded after this call has completed (or after <see cref="Synchronize"/>).
    /// </summary>
    public void DownloadAsync(DeviceBuffer src, PinnedHostBuffer dst, long srcOffsetBytes, long byteCount, long dstOffsetBytes = 0)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        CheckSameDevice(dst, nameof(dst));
        src.CheckRange(srcOffsetBytes, byteCount, nameof(srcOffsetBytes));
        dst.CheckRange(dstOffsetBytes, byteCount, nameof(dstOffsetBytes));
        if (byteCount == 0) return;
        dst.NoteUse(this);
        DownloadAsyncCore(src, dst.Pointer + (nint)dstOffsetBytes, byteCount, srcOffsetBytes);
    }

    /// <summary>
    /// Makes every command enqueued on this stream from now on wait, on the device, until <paramref name="ev"/>
    /// (recorded on any stream of the same device) has completed. The host does not block.
    /// </summary>
    public void Wait(ComputeEvent ev)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentNullException.ThrowIfNull(ev);
        WaitCore(ev);
    }

    private void CheckSameDevice(PinnedHostBuffer host, string paramName)
    {
        if (!ReferenceEquals(host.Device, Device))
            throw new ArgumentException($"The pinned host buffer belongs to {host.Device.Info.Id}, not {Device.Info.Id}", paramName);
    }

    /// <summary>Downloads the whole buffer (or <paramref name="count"/> elements) into a new array.</summary>
    public T[] Download<T>(DeviceBuffer src, long count = -1) where T : unmanaged
    {
        var n = count < 0 ? src.Length / Marshal.SizeOf<T>() : count;
        var result = new T[n];
        Download<T>(src, result);
        return result;
    }

    /// <summary>Fills <paramref name="byteCount"/> bytes at <paramref name="offsetBytes"/> with a repeated 32-bit pattern.</summary>
    public void Fill(DeviceBuffer dst, uint pattern, long offsetBytes = 0, long byteCount = -1)
    {
        if (byteCount < 0) byteCount = dst.Length - offsetBytes;
        dst.CheckRange(offsetBytes, byteCount, nameof(offsetBytes));
        if (offsetBytes % 4 != 0 || byteCount % 4 != 0)
            throw new ArgumentException("Fill offset and length must be multiples of 4 bytes", nameof(byteCount));
        if (byteCount == 0) return;
        FillCore(dst, pattern, offsetBytes, byteCount);
    }

    /// <summary>Fills with a float value.</summary>
    public void Fill(DeviceBuffer dst, float value, long offsetBytes = 0, long byteCount = -1) =>
        Fill(dst, BitConverter.SingleToUInt32Bits(value), offsetBytes, byteCount);

    /// <summary>Device-to-device copy.</summary>
    public void Copy(DeviceBuffer src, DeviceBuffer dst, long byteCount, long srcOffsetBytes = 0, long dstOffsetBytes = 0)
    {
        src.CheckRange(srcOffsetBytes, byteCount, nameof(srcOffsetBytes));
        dst.CheckRange(dstOffsetBytes, byteCount, nameof(dstOffsetBytes));
        if (byteCount == 0) return;
        CopyCore(src, dst, byteCount, srcOffsetBytes, dstOffsetBytes);
    }

    /// <summary>
    /// Enqueues a kernel over a 1–3 dimensional range. <paramref name="global"/> is rounded up to a
    /// multiple of <paramref name="local"/> per dimension, so kernels must bounds-check.
    /// </summary>
    public void Launch(ComputeKernel kernel, ReadOnlySpan<long> global, ReadOnlySpan<int> local, KernelArgs args)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (global.Length is < 1 or > 3 || global.Length != local.Length)
            throw new ArgumentException($"Launch of {kernel.Name}: global and local must both have 1–3 dimensions");
        long threads = 1;
        Span<long> rounded = stackalloc long[global.Length];
        for (int i = 0; i < global.Length; i++)
        {
            if (local[i] <= 0) throw new ArgumentOutOfRangeException(nameof(local), $"Launch of {kernel.Name}: local[{i}] = {local[i]}");
            if (global[i] <= 0) return; // empty launch: nothing to do
            rounded[i] = (global[i] + local[i] - 1) / local[i] * local[i];
            threads *= local[i];
        }
        if (threads > Device.Info.MaxWorkGroupSize)
            throw new ArgumentOutOfRangeException(nameof(local),
                $"Launch of {kernel.Name}: work-group of {threads} exceeds {Device.Info.Id}'s maximum {Device.Info.MaxWorkGroupSize}");
        LaunchObserver?.Invoke(kernel.Name, rounded.ToArray(), local.ToArray());
        LaunchCore(kernel, rounded, local, args);
    }

    /// <summary>Test seam: sees every launch on this stream (kernel, rounded global size, local size) before it is enqueued.</summary>
    internal Action<string, long[], int[]>? LaunchObserver { get; set; }

    /// <summary>Records a marker; elapsed time between two markers is measured on the device where possible.</summary>
    public abstract ComputeEvent Record();

    /// <summary>Blocks until every command enqueued so far has finished.</summary>
    public abstract void Synchronize();

    /// <summary>Backend transfer.</summary>
    protected abstract void UploadCore(DeviceBuffer dst, ReadOnlySpan<byte> src, long dstOffset);
    /// <summary>Backend transfer.</summary>
    protected abstract void DownloadCore(DeviceBuffer src, Span<byte> dst, long srcOffset);
    /// <summary>Backend asynchronous upload from pinned memory at <paramref name="src"/>.</summary>
    protected abstract void UploadAsyncCore(DeviceBuffer dst, nint src, long count, long dstOffset);
    /// <summary>Backend asynchronous download into pinned memory at <paramref name="dst"/>.</summary>
    protected abstract void DownloadAsyncCore(DeviceBuffer src, nint dst, long count, long srcOffset);
    /// <summary>Backend cross-stream wait.</summary>
    protected abstract void WaitCore(ComputeEvent ev);
    /// <summary>Backend fill.</summary>
    protected abstract void FillCore(DeviceBuffer dst, uint pattern, long offset, long count);
    /// <summary>Backend copy.</summary>
    protected abstract void CopyCore(DeviceBuffer src, DeviceBuffer dst, long count, long srcOffset, long dstOffset);
    /// <summary>Backend launch with validated geometry.</summary>
    protected abstract void LaunchCore(ComputeKernel kernel, ReadOnlySpan<long> global, ReadOnlySpan<int> local, KernelArgs args);

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the native queue.</summary>
    protected abstract void DisposeCore();
}

/// <summary>A point in a stream; pairs of events give device-side elapsed time.</summary>
internal abstract class ComputeEvent : IDisposable
{
    /// <summary>Blocks until the event has completed.</summary>
    public abstract void Wait();
    /// <summary>Milliseconds from <paramref name="start"/> to this event (both waited for).</summary>
    public abstract double ElapsedSince(ComputeEvent start);
    /// <inheritdoc />
    public abstract void Dispose();
}
