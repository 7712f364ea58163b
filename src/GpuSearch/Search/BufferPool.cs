// Device buffers owned by one search call: allocated on demand, reused when large enough, all released together
// when the call ends (success or exception). Released buffers go back to the vector set's ScratchCache, so steady
// searches allocate and free no device memory: on CUDA freeing device memory waits for the whole device, which
// would make a search wait for an embedding batch running on another stream.
using GpuSearch.Compute;

namespace GpuSearch.Search;

internal sealed class BufferPool(ComputeDevice device, ScratchCache? cache = null) : IDisposable
{
    private readonly List<DeviceBuffer> _buffers = new();

    /// <summary>A buffer of at least <paramref name="bytes"/> (never zero-sized; possibly larger, from the cache).</summary>
    public DeviceBuffer Alloc(long bytes)
    {
        bytes = Math.Max(bytes, 8);
        var b = cache?.Take(bytes) ?? device.Allocate(bytes);
        _buffers.Add(b);
        return b;
    }

    /// <summary><paramref name="current"/> if it holds <paramref name="bytes"/>, else a new buffer (the old one is released).</summary>
    public DeviceBuffer Reuse(DeviceBuffer? current, long bytes)
    {
        if (current is not null && current.Length >= bytes) return current;
        if (current is not null) { _buffers.Remove(current); Release(current); }
        return Alloc(bytes);
    }

    /// <summary>A buffer holding a copy of <paramref name="data"/>.</summary>
    public DeviceBuffer Upload<T>(ComputeStream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = Alloc((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        stream.Upload(b, data);
        return b;
    }

    private void Release(DeviceBuffer b)
    {
        if (cache is null) b.Dispose();
        else cache.Return(b);
    }

    public void Dispose()
    {
        foreach (var b in _buffers) Release(b);
        _buffers.Clear();
    }
}

/// <summary>
/// Scratch buffers kept between searches of one vector set (searches of a set run one at a time, so no lock), up to
/// <see cref="LimitBytes"/>; a buffer that would pass the limit is freed instead.
/// </summary>
internal sealed class ScratchCache : IDisposable
{
    private readonly List<DeviceBuffer> _free = new();
    private long _bytes;

    /// <summary>Most bytes kept.</summary>
    public long LimitBytes { get; init; } = 256L << 20;

    /// <summary>Bytes kept now.</summary>
    public long Bytes => _bytes;

    /// <summary>The smallest kept buffer of at least <paramref name="bytes"/>, or null.</summary>
    public DeviceBuffer? Take(long bytes)
    {
        int best = -1;
        for (int i = 0; i < _free.Count; i++)
            if (_free[i].Length >= bytes && (best < 0 || _free[i].Length < _free[best].Length)) best = i;
        if (best < 0) return null;
        var b = _free[best];
        _free.RemoveAt(best);
        _bytes -= b.Length;
        return b;
    }

    public void Return(DeviceBuffer b)
    {
        if (b.IsDisposed) return;
        if (_bytes + b.Length > LimitBytes) { b.Dispose(); return; }
        _free.Add(b);
        _bytes += b.Length;
    }

    public void Dispose()
    {
        foreach (var b in _free) b.Dispose();
        _free.Clear();
        _bytes = 0;
    }
}
