// Constant tensors uploaded to the device once per session and shared by every plan (batch size).
using System.Collections.Concurrent;
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

/// <summary>Device copies of the model's float constants, uploaded on first use, fp32 or fp16.</summary>
internal sealed class WeightStore(ComputeDevice device) : IDisposable
{
    private readonly ConcurrentDictionary<(string, TensorStorage), DeviceBuffer> _buffers = new();

    /// <summary>Bytes held on the device.</summary>
    public long Bytes => _buffers.Values.Sum(b => b.Length);

    /// <summary>Number of uploaded tensors.</summary>
    public int Count => _buffers.Count;

    /// <summary>The device copy of <paramref name="data"/> under <paramref name="name"/>, uploading it the first time.</summary>
    public DeviceSlice Get(string name, float[] data, TensorStorage storage = TensorStorage.F32) =>
        new(_buffers.GetOrAdd((name, storage), _ => Upload(data, storage)), 0);

    /// <summary>
    /// The device copy of a constant derived from the model's (e.g. Winograd-transformed weights), made by
    /// <paramref name="make"/> and uploaded the first time any plan of the session asks for it. The host array is
    /// dropped after the upload: plans of other batch sizes share the device copy, and no plan keeps the host one.
    /// </summary>
    public DeviceSlice GetDerived(string name, Func<float[]> make) =>
        new(_buffers.GetOrAdd((name, TensorStorage.F32), _ => Upload(make(), TensorStorage.F32)), 0);

    /// <summary>
    /// <see cref="GetDerived(string, Func{float[]})"/> for a constant of <paramref name="elements"/> floats that
    /// <paramref name="make"/> writes in pieces, each uploaded as it comes: the whole is never on the host.
    /// </summary>
    public DeviceSlice GetDerived(string name, long elements, Action<ConstantSink> make) =>
        new(_buffers.GetOrAdd((name, TensorStorage.F32), _ =>
        {
            var buffer = device.Allocate(Math.Max(4, elements * 4));
            try
            {
                make((piece, offset) => device.Stream.Upload(buffer, piece, offset * 4));
                return buffer;
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
        }), 0);

    private DeviceBuffer Upload(float[] data, TensorStorage storage)
    {
        var s = device.Stream;
        if (storage == TensorStorage.F16)
        {
            var h = new Half[data.Length];
            for (long i = 0; i < h.Length; i++) h[i] = (Half)data[i];
            var hb = device.Allocate(Math.Max(4, (h.Length * 2L + 3) / 4 * 4));
            s.Upload<Half>(hb, h);
            return hb;
        }
        var fb = device.Allocate(Math.Max(4, data.Length * 4L));
        s.Upload<float>(fb, data);
        return fb;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _buffers.Values) b.Dispose();
        _buffers.Clear();
    }
}
