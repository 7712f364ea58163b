// Host side of kernels/broadcast.cl: numpy-broadcasting binary ops and unary activations on fp32 tensors.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Binary ops with broadcasting (values match BIN_OP in broadcast.cl).</summary>
public enum BroadcastOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Max = 5, Min = 6 }

/// <summary>Elementwise ops on fp32 tensors with numpy broadcasting. Offsets are in elements.</summary>
internal static class Broadcast
{
    private const int Group = 256;

    /// <summary>The numpy broadcast of two shapes; throws if incompatible.</summary>
    public static int[] OutputShape(int[] a, int[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"Shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast (axis {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Element strides of <paramref name="shape"/> read as <paramref name="outShape"/> (0 on broadcast axes).</summary>
    public static long[] StridesFor(int[] shape, int[] outShape, string name)
    {
        ArgumentNullException.ThrowIfNull(shape, name);
        ArgumentNullException.ThrowIfNull(outShape);
        if (shape.Length > outShape.Length) throw new ArgumentException($"{name} has more axes than the output", name);
        var own = StridedIndex.Contiguous(shape);
        var s = new long[outShape.Length];
        var lead = outShape.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] != 1 && shape[i] != outShape[lead + i])
                throw new ArgumentException($"{name} [{string.Join(",", shape)}] does not broadcast to [{string.Join(",", outShape)}]", name);
            s[lead + i] = shape[i] == 1 ? 0 : own[i];
        }
        return s;
    }

    /// <summary><c>y = a op b</c> with numpy broadcasting; y has shape <see cref="OutputShape"/>(aShape, bShape).</summary>
    public static void Binary(ComputeStream stream, BroadcastOp op, int[] aShape, DeviceBuffer a, long aOffset,
        int[] bShape, DeviceBuffer b, long bOffset, DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(op)) throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown broadcast op");
        var outShape = OutputShape(aShape, bShape);
        long n = OpCheck.Count(outShape), na = OpCheck.Count(aShape), nb = OpCheck.Count(bShape);
        OpCheck.Range(a, aOffset, na, nameof(a));
        OpCheck.Range(b, bOffset, nb, nameof(b));
        OpCheck.Range(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var defines = new KernelDefines().Set("BIN_OP", (int)op);
        if (na == n && (nb == n || nb == 1))
        {
            // Equal shapes, or a scalar b: no index arithmetic.
            var kf = stream.Device.GetKernel("broadcast.cl", "binary_flat", defines);
            stream.Launch(kf, [n], [Group], new KernelArgs().Long(n).Buffer(a).Long(aOffset).Buffer(b).Long(bOffset)
                .Int(nb == 1 ? 0 : 1).Buffer(y).Long(yOffset));
            return;
        }
        var (d, s) = StridedIndex.Collapse(outShape, StridesFor(aShape, outShape, nameof(aShape)), StridesFor(bShape, outShape, nameof(bShape)));
        var k = stream.Device.GetKernel("broadcast.cl", "binary_bcast", defines);
        var args = new KernelArgs().Long(n);
        foreach (var v in d) args.Int(v);
        foreach (var v in s[0]) args.Long(v);
        foreach (var v in s[1]) args.Long(v);
        stream.Launch(k, [n], [Group], args.Buffer(a).Long(aOffset).Buffer(b).Long(bOffset).Buffer(y).Long(yOffset));
    }

    /// <summary><c>y[i] = act(x[i])</c> for i &lt; n (x and y may be the same range).</summary>
    public static void Unary(ComputeStream stream, Activation act, long n, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(stream);
        act.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        OpCheck.Range(x, xOffset, n, nameof(x));
        OpCheck.Range(y, yOffset, n, nameof(y));
        if (n == 0) return;
        var k = stream.Device.GetKernel("broadcast.cl", "unary_act", new KernelDefines().Set("ACT", (int)act.Kind));
        stream.Launch(k, [n], [Group], new KernelArgs().Long(n).Buffer(x).Long(xOffset).Buffer(y).Long(yOffset)
            .Float(act.Alpha).Float(act.Beta));
    }
}
