// Device buffers owned by one search call: allocated on demand, reused when large enough, all
// released together when the call ends (success or exception).
using GpuSearch.Compute;

namespace GpuSearch.Search;

internal sealed class BufferPool(ComputeDevice device) : IDisposable
{
    private readonly List<DeviceBuffer> _buffers = new();

    /// <summary>A new buffer of at least <paramref name="bytes"/> (never zero-sized).</summary>
    public DeviceBuffer Alloc(long bytes)
    {
        var b = device.Allocate(Math.Max(bytes, 8));
        _buffers.Add(b);
        return b;
    }

    /// <summary><paramref name="current"/> if it holds <paramref name="bytes"/>, else a new buffer (the old one is freed).</summary>
    public DeviceBuffer Reuse(DeviceBuffer? current, long bytes)
    {
        if (current is not null && current.Length >= bytes) return current;
        if (current is not null) { _buffers.Remove(current); current.Dispose(); }
        return Alloc(bytes);
    }

    /// <summary>A buffer holding a copy of <paramref name="data"/>.</summary>
    public DeviceBuffer Upload<T>(ComputeStream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = Alloc((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        stream.Upload(b, data);
        return b;
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }
}
