// Host side of kernels/eltwise.cl: unary/binary elementwise ops, axpby and fp16 casts.
namespace GpuSearch.Compute.Ops;

/// <summary>Unary elementwise operations (values match UNARY_OP in eltwise.cl).</summary>
internal enum UnaryOp { Copy = 0, Relu = 1, Sigmoid = 2, Tanh = 3, Exp = 4, Sqrt = 5, Abs = 6, Neg = 7 }

/// <summary>Binary elementwise operations on equal shapes (values match BINARY_OP in eltwise.cl).</summary>
internal enum BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5 }

/// <summary>Elementwise kernels. Offsets and counts are in elements.</summary>
internal static class Eltwise
{
    /// <summary>Work-group size used for the 1-D elementwise launches.</summary>
    public const int GroupSize = 256;

    /// <summary><c>y[i] = op(x[i])</c> for i &lt; n.</summary>
    public static void Unary(ComputeStream stream, UnaryOp op, long n, DeviceBuffer x, DeviceBuffer y, long xOffset = 0, long yOffset = 0)
    {
        CheckF32(x, xOffset, n, nameof(x));
        CheckF32(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("eltwise.cl", "unary_f32", new KernelDefines().Set("UNARY_OP", (int)op));
        stream.Launch(k, [n], [GroupSize], new KernelArgs().Long(n).Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }

    /// <summary><c>y[i] = a[i] op b[i]</c> for i &lt; n.</summary>
    public static void Binary(ComputeStream stream, BinaryOp op, long n, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y,
        long aOffset = 0, long bOffset = 0, long yOffset = 0)
    {
        CheckF32(a, aOffset, n, nameof(a));
        CheckF32(b, bOffset, n, nameof(b));
        CheckF32(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("eltwise.cl", "binary_f32", new KernelDefines().Set("BINARY_OP", (int)op));
        stream.Launch(k, [n], [GroupSize],
            new KernelArgs().Long(n).Buffer(a).Long(aOffset).Buffer(b).Long(bOffset).Buffer(y).Long(yOffset));
    }

    /// <summary><c>y[i] = alpha·x[i] + beta·y[i]</c>.</summary>
    public static void Axpby(ComputeStream stream, long n, float alpha, DeviceBuffer x, float beta, DeviceBuffer y,
        long xOffset = 0, long yOffset = 0)
    {
        CheckF32(x, xOffset, n, nameof(x));
        CheckF32(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("eltwise.cl", "axpby_f32");
        stream.Launch(k, [n], [GroupSize],
            new KernelArgs().Long(n).Float(alpha).Buffer(x).Long(xOffset).Float(beta).Buffer(y).Long(yOffset));
    }

    /// <summary>fp32 → fp16 (round to nearest even) into a buffer of 16-bit elements.</summary>
    public static void ToHalf(ComputeStream stream, long n, DeviceBuffer x, DeviceBuffer y, long xOffset = 0, long yOffset = 0)
    {
        CheckF32(x, xOffset, n, nameof(x));
        y.CheckRange(yOffset * 2, n * 2, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("eltwise.cl", "f32_to_f16");
        stream.Launch(k, [n], [GroupSize], new KernelArgs().Long(n).Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }

    /// <summary>fp16 → fp32.</summary>
    public static void FromHalf(ComputeStream stream, long n, DeviceBuffer x, DeviceBuffer y, long xOffset = 0, long yOffset = 0)
    {
        x.CheckRange(xOffset * 2, n * 2, nameof(x));
        CheckF32(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("eltwise.cl", "f16_to_f32");
        stream.Launch(k, [n], [GroupSize], new KernelArgs().Long(n).Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }

    internal static void CheckF32(DeviceBuffer b, long offset, long n, string name)
    {
        ArgumentNullException.ThrowIfNull(b, name);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        b.CheckRange(offset * 4, n * 4, name);
    }
}
