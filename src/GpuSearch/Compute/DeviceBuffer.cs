// Device memory owned by an IDisposable with a clear lifetime; never freed by a finalizer alone.
namespace GpuSearch.Compute;

/// <summary>A block of device memory. Transfers and fills go through a <see cref="ComputeStream"/>.</summary>
internal abstract class DeviceBuffer : IDisposable
{
    /// <summary>Size in bytes.</summary>
    public long Length { get; }
    /// <summary>The device that owns the memory.</summary>
    public ComputeDevice Device { get; }
    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Initializes the base with its size and owner.</summary>
    protected DeviceBuffer(ComputeDevice device, long length)
    {
        Device = device; Length = length;
    }

    /// <summary>Throws if the byte range does not lie inside the buffer.</summary>
    public void CheckRange(long offset, long count, string paramName = "offset")
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfOutside(offset, count, Length, paramName, "the buffer");
    }

    /// <summary>Throws unless [offset, offset + count) lies within <paramref name="length"/> bytes of <paramref name="what"/>.</summary>
    internal static void ThrowIfOutside(long offset, long count, long length, string paramName, string what)
    {
        if (offset < 0 || count < 0 || offset > length - count)
            throw new ArgumentOutOfRangeException(paramName, $"Range [{offset}, {offset + count}) lies outside {what} of {length} bytes");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the native memory.</summary>
    protected abstract void Free();
}
