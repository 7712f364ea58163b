// Host side of kernels/broadcast.cl, the one elementwise family: numpy-broadcasting binary ops, unary activations,
// axpby and the fp16 storage casts. Op codes: BroadcastOp (BIN_OP) and ActivationKind (ACT of activation.h).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Binary ops with broadcasting (values match BIN_OP in broadcast.cl).</summary>
internal enum BroadcastOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Max = 5, Min = 6 }

/// <summary>Elementwise ops on fp32 tensor views, binary ones with numpy broadcasting.</summary>
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

    /// <summary><c>y = a op b</c> with numpy broadcasting; y has shape <see cref="OutputShape"/>(a.Shape, b.Shape).</summary>
    public static void Binary(ComputeStream stream, BroadcastOp op, DeviceTensor a, DeviceTensor b, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(op)) throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown broadcast op");
        int[] aShape = a.Shape, bShape = b.Shape;
        var outShape = OutputShape(aShape, bShape);
        long n = OpCheck.Count(outShape), na = a.Count, nb = b.Count;
        a.Require(nameof(a), na, TensorStorage.F32);
        b.Require(nameof(b), nb, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        if (n == 0) return;
        var defines = new KernelDefines().Set("BIN_OP", (int)op);
        if (na == n && (nb == n || nb == 1))
        {
            // Equal shapes, or a scalar b: no index arithmetic.
            var kf = stream.Device.GetKernel("broadcast.cl", "binary_flat", defines);
            stream.Launch(kf, [n], [Group], new KernelArgs().Long(n).Buffer(a.Buffer).Long(a.Offset).Buffer(b.Buffer).Long(b.Offset)
                .Int(nb == 1 ? 0 : 1).Buffer(y.Buffer).Long(y.Offset));
            return;
        }
        var (d, s) = StridedIndex.Collapse(outShape, StridesFor(aShape, outShape, nameof(aShape)), StridesFor(bShape, outShape, nameof(bShape)));
        bool runs = stream.Device.Info.IsCpu; // CPUs: a work-item per innermost run, the index arithmetic once per run
        var k = stream.Device.GetKernel("broadcast.cl", runs ? "binary_bcast_runs" : "binary_bcast", defines);
        var args = new KernelArgs().Long(runs ? n / d[^1] : n);
        foreach (var v in runs ? d.Skip(1) : d) args.Int(v);
        foreach (var v in s[0]) args.Long(v);
        foreach (var v in s[1]) args.Long(v);
        stream.Launch(k, [runs ? n / d[^1] : n], [runs ? CpuGroup : Group],
            args.Buffer(a.Buffer).Long(a.Offset).Buffer(b.Buffer).Long(b.Offset).Buffer(y.Buffer).Long(y.Offset));
    }

    /// <summary>Runs per work-group of binary_bcast_runs: small, so a few hundred runs still spread over every core.</summary>
    private const int CpuGroup = 8;

    /// <summary><c>y[i] = act(x[i])</c> over every element of x (x and y may be the same range).</summary>
    public static void Unary(ComputeStream stream, Activation act, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        act.Validate();
        long n = x.Count;
        x.Require(nameof(x), n, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        if (n == 0) return;
        var k = stream.Device.GetKernel("broadcast.cl", "unary_act", new KernelDefines().Set("ACT", (int)act.Kind));
        stream.Launch(k, [n], [Group], new KernelArgs().Long(n).Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset)
            .Float(act.Alpha).Float(act.Beta));
    }

    /// <summary><c>y[i] = alpha·x[i] + beta·y[i]</c> (x and y of equal element count).</summary>
    public static void Axpby(ComputeStream stream, float alpha, DeviceTensor x, float beta, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long n = x.Count;
        x.Require(nameof(x), n, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        if (n == 0) return;
        var k = stream.Device.GetKernel("broadcast.cl", "axpby_f32");
        stream.Launch(k, [n], [Group], new KernelArgs().Long(n).Float(alpha).Buffer(x.Buffer).Long(x.Offset).Float(beta).Buffer(y.Buffer).Long(y.Offset));
    }

    /// <summary>Converts between fp32 and fp16 storage (to fp16: round to nearest even), by the views' storage types.</summary>
    public static void Cast(ComputeStream stream, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (x.DType == y.DType) throw new ArgumentException($"cast from {x.DType} to itself", nameof(y));
        long n = x.Count;
        x.Require(nameof(x), n, x.DType);
        y.Require(nameof(y), n, y.DType);
        if (n == 0) return;
        var k = stream.Device.GetKernel("broadcast.cl", y.DType == TensorStorage.F16 ? "f32_to_f16" : "f16_to_f32");
        stream.Launch(k, [n], [Group], new KernelArgs().Long(n).Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
