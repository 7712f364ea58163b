// Host memory for asynchronous transfers: the source of ComputeStream.UploadAsync and the target of
// DownloadAsync. A managed array cannot be used for these because the copy runs after the call returns
// (the GC could move or free it); this memory stays put until disposed. On CUDA it is page-locked
// (cuMemHostAlloc), which is what lets the copy engines overlap a transfer with kernels; elsewhere it is
// page-aligned native memory.
using System.Runtime.InteropServices;

namespace GpuSearch.Compute;

/// <summary>
/// Host memory that asynchronous transfers read from or write into. Do not touch the bytes a pending
/// <see cref="ComputeStream.UploadAsync"/> or <see cref="ComputeStream.DownloadAsync"/> covers until an event
/// recorded after it has completed. Disposing waits for the last stream that used the buffer.
/// </summary>
internal abstract unsafe class PinnedHostBuffer : IDisposable
{
    /// <summary>Largest buffer: the contents are exposed as one <see cref="Span{T}"/>.</summary>
    public const long MaxBytes = int.MaxValue;

    private ComputeStream? _lastStream;

    /// <summary>Size in bytes.</summary>
    public long Length { get; }
    /// <summary>The device whose streams transfer from and to this memory.</summary>
    public ComputeDevice Device { get; }
    /// <summary>True when the memory is page-locked, so the device copies it without a bounce buffer.</summary>
    public abstract bool IsPageLocked { get; }
    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Initializes the base with its size and owner.</summary>
    protected PinnedHostBuffer(ComputeDevice device, long length)
    {
        Device = device; Length = length;
    }

    /// <summary>Address of the first byte.</summary>
    protected internal abstract nint Pointer { get; }

    /// <summary>The whole buffer as bytes.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return new Span<byte>((void*)Pointer, (int)Length);
        }
    }

    /// <summary>The whole buffer as elements of <typeparamref name="T"/> (a trailing partial element is left out).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Span);

    /// <summary>Throws if the byte range does not lie inside the buffer.</summary>
    internal void CheckRange(long offset, long count, string paramName)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        DeviceBuffer.ThrowIfOutside(offset, count, Length, paramName, "the pinned host buffer");
    }

    /// <summary>Remembers the stream of the latest transfer so Dispose can wait for it.</summary>
    internal void NoteUse(ComputeStream stream) => _lastStream = stream;

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        // A transfer still in flight would read or write freed memory: wait for it first.
        if (_lastStream is { IsDisposed: false } s)
        {
            try { s.Synchronize(); }
            catch (ComputeException) { } // the stream failed; nothing is running on it any more
        }
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the memory.</summary>
    protected abstract void Free();
}

/// <summary>Page-aligned native memory: correct for every backend, page-locked for none.</summary>
internal sealed unsafe class AlignedHostBuffer : PinnedHostBuffer
{
    private void* _memory;

    public AlignedHostBuffer(ComputeDevice device, long length) : base(device, length)
    {
        _memory = NativeMemory.AlignedAlloc((nuint)length, 4096);
    }

    public override bool IsPageLocked => false;
    protected internal override nint Pointer => (nint)_memory;

    protected override void Free()
    {
        NativeMemory.AlignedFree(_memory);
        _memory = null;
    }
}
