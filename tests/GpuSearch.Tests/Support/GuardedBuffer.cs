// A device buffer with guard regions before and after the payload: kernels write at an element
// offset into it, and a check afterwards proves nothing was written outside the payload.
using GpuSearch.Compute;

namespace GpuSearch.Tests.Support;

internal sealed class GuardedBuffer : IDisposable
{
    public const uint Sentinel = 0x7FC0DEADu; // a NaN no kernel produces by arithmetic
    public const int GuardElements = 67;      // odd, so it is not a multiple of any tile

    public DeviceBuffer Buffer { get; }
    public long Offset => GuardElements;
    public long Count { get; }
    private readonly int _elementSize;

    public GuardedBuffer(ComputeDevice device, long count, int elementSize = 4)
    {
        Count = count;
        _elementSize = elementSize;
        var bytes = (count + 2 * GuardElements) * elementSize;
        Buffer = device.Allocate((bytes + 3) / 4 * 4); // Fill works on whole 32-bit words
        device.Stream.Fill(Buffer, Sentinel);
    }

    /// <summary>The payload as a contiguous tensor view (fp16 storage for 2-byte elements).</summary>
    public GpuSearch.Models.Ops.DeviceTensor View(params int[] shape) =>
        new(Buffer, Offset, shape, null, _elementSize == 2 ? GpuSearch.Models.Ops.TensorStorage.F16 : GpuSearch.Models.Ops.TensorStorage.F32);

    public void Upload<T>(ComputeStream s, ReadOnlySpan<T> data) where T : unmanaged => s.Upload(Buffer, data, Offset * _elementSize);

    public T[] DownloadPayload<T>(ComputeStream s) where T : unmanaged
    {
        var all = new byte[Buffer.Length];
        s.Download<byte>(Buffer, all);
        var payloadBytes = Count * _elementSize;
        var start = Offset * _elementSize;
        CheckGuard(all, 0, start, "before");
        CheckGuard(all, start + payloadBytes, all.Length, "after");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(all.AsSpan((int)start, (int)payloadBytes)).ToArray();
    }

    private static void CheckGuard(byte[] all, long from, long to, string where)
    {
        var pattern = BitConverter.GetBytes(Sentinel);
        for (long i = from; i < to; i++)
            if (all[i] != pattern[i % 4])
                throw new Xunit.Sdk.XunitException($"guard region {where} the payload was overwritten at byte {i}");
    }

    public void Dispose() => Buffer.Dispose();
}
