// Host side of kernels/softmax.cl: Softmax / LogSoftmax over one axis of a tensor viewed as [outer, axis, inner].
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Softmax over one axis. Offsets are in elements.</summary>
internal static class Softmax
{
    /// <summary>The [outer, axis, inner] view of <paramref name="shape"/> for a softmax over <paramref name="axis"/>.</summary>
    public static (int Outer, int Axis, int Inner) View(int[] shape, int axis)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (axis < 0) axis += shape.Length;
        if (axis < 0 || axis >= shape.Length) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Softmax axis outside rank {shape.Length}");
        return ((int)OpCheck.Count(shape.AsSpan(0, axis)), shape[axis], (int)OpCheck.Count(shape.AsSpan(axis + 1)));
    }

    /// <summary>y = softmax(x) (or log-softmax) along the middle of [outer, axis, inner].</summary>
    public static void Run(ComputeStream stream, int outer, int axis, int inner, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
        bool log = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("softmax dims", outer, axis, inner);
        long n = (long)outer * axis * inner;
        OpCheck.Range(x, xOffset, n, nameof(x));
        OpCheck.Range(y, yOffset, n, nameof(y));
        var k = stream.Device.GetKernel("softmax.cl", "softmax_axis", new KernelDefines().Set("LOG_SOFTMAX", log ? 1 : 0));
        int lx = Math.Min(64, inner);
        stream.Launch(k, [inner, outer], [lx, lx == 1 ? Math.Min(64, outer) : 1], new KernelArgs().Int(outer).Int(axis).Int(inner)
            .Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }
}
