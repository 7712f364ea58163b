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
    public DeviceSlice Get(string name, float[] data, TensorStorage storage = TensorStorage.F32)
    {
        var b = _buffers.GetOrAdd((name, storage), _ =>
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
        });
        return new DeviceSlice(b, 0);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _buffers.Values) b.Dispose();
        _buffers.Clear();
    }
}
