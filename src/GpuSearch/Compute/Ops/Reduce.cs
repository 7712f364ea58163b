// Host side of kernels/reduce.cl: per-row reductions of a row-major matrix.
namespace GpuSearch.Compute.Ops;

/// <summary>Row reductions (values match REDUCE_OP in reduce.cl).</summary>
internal enum ReduceOp { Sum = 0, Max = 1, SumSquares = 2, L2Norm = 3, Mean = 4 }

/// <summary>Reduces each row of a [rows, cols] fp32 matrix to one value.</summary>
internal static class Reduce
{
    /// <summary>Enqueues <c>y[r] = reduce(x[r, :])</c>. Offsets are in elements.</summary>
    public static void Rows(ComputeStream stream, ReduceOp op, int rows, int cols, DeviceBuffer x, DeviceBuffer y,
        long xOffset = 0, long yOffset = 0, int groupSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (groupSize <= 0 || (groupSize & (groupSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "must be a power of two");
        groupSize = Math.Min(groupSize, stream.Device.Info.MaxWorkGroupSize);
        Eltwise.CheckF32(x, xOffset, (long)rows * cols, nameof(x));
        Eltwise.CheckF32(y, yOffset, rows, nameof(y));
        if (rows == 0) return;
        var k = stream.Device.GetKernel("reduce.cl", "reduce_rows",
            new KernelDefines().Set("REDUCE_OP", (int)op).Set("REDUCE_WG", groupSize));
        stream.Launch(k, [(long)rows * groupSize], [groupSize],
            new KernelArgs().Int(rows).Int(cols).Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }
}
