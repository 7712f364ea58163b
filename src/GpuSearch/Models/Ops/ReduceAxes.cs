// Host side of kernels/reduce.cl, the one reduction family: reductions over any set of axes with keepdims
// (the model ops) and per-row reductions of a matrix (work-group trees, bitwise repeatable).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Reductions (values match RED_OP in reduce.cl; the one op-code table of both reduce kernels).</summary>
internal enum AxisReduceOp { Sum = 0, Mean = 1, Max = 2, Min = 3, L2 = 4, SumSquare = 5 }

/// <summary>ReduceMean, ReduceL2 and friends over arbitrary axes of a contiguous fp32 view, and over matrix rows.</summary>
internal static class ReduceAxes
{
    private const int MaxGroups = 4;

    /// <summary>Output shape: reduced axes (all when <paramref name="axes"/> is empty) become 1 (keepdims) or disappear.</summary>
    public static int[] OutputShape(int[] shape, int[] axes, bool keepDims)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var set = Normalize(shape, axes is { Length: 0 } ? Enumerable.Range(0, shape.Length).ToArray() : axes);
        return keepDims ? shape.Select((d, i) => set.Contains(i) ? 1 : d).ToArray()
                        : shape.Where((_, i) => !set.Contains(i)).ToArray();
    }

    private static HashSet<int> Normalize(int[] shape, int[] axes)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(axes);
        var set = new HashSet<int>();
        foreach (var a in axes)
        {
            var ax = a < 0 ? a + shape.Length : a;
            if (ax < 0 || ax >= shape.Length) throw new ArgumentOutOfRangeException(nameof(axes), a, $"Reduce axis outside rank {shape.Length}");
            set.Add(ax);
        }
        return set;
    }

    /// <summary>Reduces x over <paramref name="axes"/> (all axes when empty) into y (row-major output order).</summary>
    public static void Run(ComputeStream stream, AxisReduceOp op, int[] axes, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(axes);
        if (!Enum.IsDefined(op)) throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction");
        var shape = x.Shape;
        var set = Normalize(shape, axes.Length == 0 ? Enumerable.Range(0, shape.Length).ToArray() : axes);
        x.Require(nameof(x), x.Count, TensorStorage.F32);
        // Group consecutive axes of the same kind (kept / reduced), dropping size-1 axes; within a group
        // the input is contiguous, so each group is one dim with the stride of its innermost axis.
        var strides = StridedIndex.Contiguous(shape);
        var kept = new List<(int Dim, long Stride)>();
        var red = new List<(int Dim, long Stride)>();
        bool? lastReduced = null;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            var isRed = set.Contains(i);
            var list = isRed ? red : kept;
            if (lastReduced == isRed) list[^1] = (list[^1].Dim * shape[i], strides[i]);
            else list.Add((shape[i], strides[i]));
            lastReduced = isRed;
        }
        if (kept.Count > MaxGroups || red.Count > MaxGroups)
            throw new NotSupportedException($"Reduction over interleaved axes needs {Math.Max(kept.Count, red.Count)} groups; the kernel takes {MaxGroups}");
        long nOut = kept.Aggregate(1L, (a, k) => a * k.Dim), nRed = red.Aggregate(1L, (a, k) => a * k.Dim);
        y.Require(nameof(y), nOut, TensorStorage.F32);
        while (kept.Count < MaxGroups) kept.Insert(0, (1, 0));
        while (red.Count < MaxGroups) red.Insert(0, (1, 0));
        var k = stream.Device.GetKernel("reduce.cl", "reduce_axes", new KernelDefines().Set("RED_OP", (int)op));
        var args = new KernelArgs().Long(nOut).Long(nRed);
        foreach (var g in kept) args.Int(g.Dim);
        foreach (var g in kept) args.Long(g.Stride);
        foreach (var g in red) args.Int(g.Dim);
        foreach (var g in red) args.Long(g.Stride);
        stream.Launch(k, [nOut], [(int)Math.Min(64, nOut)], args.Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }

    /// <summary>Reduces each row of x, viewed as [rows, cols] with cols its last dim, into y (rows elements): one work-group
    /// of <paramref name="groupSize"/> (a power of two) per row.</summary>
    public static void Rows(ComputeStream stream, AxisReduceOp op, DeviceTensor x, DeviceTensor y, int groupSize = 256)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(op)) throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction");
        if (x.Shape.Length == 0) throw new ArgumentException("row reduction of a scalar", nameof(x));
        int cols = x.Shape[^1];
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols, nameof(x));
        long rows = x.Count / cols;
        if (rows > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(x), "rows exceed 2^31");
        if (groupSize <= 0 || (groupSize & (groupSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "must be a power of two");
        groupSize = Math.Min(groupSize, stream.Device.Info.MaxWorkGroupSize);
        x.Require(nameof(x), x.Count, TensorStorage.F32);
        y.Require(nameof(y), rows, TensorStorage.F32);
        if (rows == 0) return;
        var k = stream.Device.GetKernel("reduce.cl", "reduce_rows",
            new KernelDefines().Set("RED_OP", (int)op).Set("REDUCE_WG", groupSize));
        stream.Launch(k, [rows * groupSize], [groupSize],
            new KernelArgs().Int((int)rows).Int(cols).Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
