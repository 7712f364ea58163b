// Host side of kernels/softmax.cl: Softmax / LogSoftmax over one axis of a tensor viewed as [outer, axis, inner].
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Softmax over one axis of a contiguous fp32 view.</summary>
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

    /// <summary>y = softmax(x) (or log-softmax) along <paramref name="axis"/> of x (y has x's shape).</summary>
    public static void Run(ComputeStream stream, int axis, DeviceTensor x, DeviceTensor y, bool log = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (outer, len, inner) = View(x.Shape, axis);
        OpCheck.Positive("softmax dims", outer, len, inner);
        long n = (long)outer * len * inner;
        x.Require(nameof(x), n, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        var k = stream.Device.GetKernel("softmax.cl", "softmax_axis", new KernelDefines().Set("LOG_SOFTMAX", log ? 1 : 0));
        int lx = Math.Min(64, inner);
        stream.Launch(k, [inner, outer], [lx, lx == 1 ? Math.Min(64, outer) : 1], new KernelArgs().Int(outer).Int(len).Int(inner)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
