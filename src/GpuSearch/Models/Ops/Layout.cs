// Host side of kernels/layout.cl strided_copy: Transpose, Slice, Concat and Expand as strided copies.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Data-movement ops on contiguous fp32 views.</summary>
internal static class Layout
{
    private const int Group = 256;

    /// <summary>Runs per work-group of strided_copy_runs: small, so a few hundred runs still spread over every core.</summary>
    private const int CpuGroup = 8;

    /// <summary>Copies the index space <paramref name="dims"/> from x (strides xs) to y (strides ys). No range checks.</summary>
    internal static void StridedCopy(ComputeStream stream, ReadOnlySpan<int> dims, long[] xs, long[] ys,
        DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        var n = OpCheck.Count(dims);
        if (n == 0) return;
        var (d, s) = StridedIndex.Collapse(dims, xs, ys);
        bool cpu = stream.Device.Info.IsCpu;
        // At most two dims left with unit inner strides: whole rows, no per-element index arithmetic.
        bool rowForm = d.Take(StridedIndex.MaxDims - 2).All(v => v == 1) && s[0][^1] == 1 && s[1][^1] == 1;
        if (rowForm && cpu && TryCopyRows(stream, d[^2], d[^1], s[0][^2], s[1][^2], x, xOffset, y, yOffset)) return;
        // Not copy_rows on CPUs once there are rows enough to share out: it still divides per element (a ViT's q/k/v
        // Slices of a [1576, 2304] QKV ran at ~1.3 GB/s that way), where strided_copy_runs divides once per row.
        if (rowForm && !(cpu && d[^2] >= 16))
        {
            var rk = stream.Device.GetKernel("layout.cl", "copy_rows");
            stream.Launch(rk, [(long)d[^1] * d[^2]], [Group], new KernelArgs().Int(d[^2]).Int(d[^1])
                .Buffer(x).Long(xOffset).Long(s[0][^2]).Buffer(y).Long(yOffset).Long(s[1][^2]));
            return;
        }
        if (cpu)
        {
            // CPUs: a work-item per innermost run, the index arithmetic once per run (layout.cl strided_copy_runs).
            var ck = stream.Device.GetKernel("layout.cl", "strided_copy_runs");
            long rows = n / d[^1];
            var cargs = new KernelArgs().Long(rows);
            foreach (var v in d.Skip(1)) cargs.Int(v);
            foreach (var v in s[0]) cargs.Long(v);
            foreach (var v in s[1]) cargs.Long(v);
            stream.Launch(ck, [rows], [CpuGroup], cargs.Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
            return;
        }
        var k = stream.Device.GetKernel("layout.cl", "strided_copy");
        var args = new KernelArgs().Long(n);
        foreach (var v in d) args.Int(v);
        foreach (var v in s[0]) args.Long(v);
        foreach (var v in s[1]) args.Long(v);
        stream.Launch(k, [n], [Group], args.Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }

    // On a CPU, one contiguous run (a Gather of a leading index, a zero Pad, a flatten) or a few long ones are device
    // copies, a memcpy each: the kernels would divide per element or leave all but one core idle.
    private static bool TryCopyRows(ComputeStream stream, int rows, int cols, long xs, long ys, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        if (rows != 1 && (rows > 16 || cols < 4096)) return false;
        // Copies within one buffer must not overlap (clEnqueueCopyBuffer refuses that); leave such a case to the kernels.
        if (ReferenceEquals(x, y) && xOffset + (rows - 1) * xs + cols > yOffset && yOffset + (rows - 1) * ys + cols > xOffset) return false;
        for (long r = 0; r < rows; r++)
            stream.Copy(x, y, cols * 4L, (xOffset + r * xs) * 4, (yOffset + r * ys) * 4);
        return true;
    }

    /// <summary>Transpose: output dim i is input dim perm[i]; y holds x's elements in the permuted order.</summary>
    public static void Transpose(ComputeStream stream, int[] perm, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(perm);
        var shape = x.Shape;
        if (perm.Length != shape.Length || perm.Order().Where((p, i) => p != i).Any())
            throw new ArgumentException($"perm [{string.Join(",", perm)}] is not a permutation of {shape.Length} axes", nameof(perm));
        var n = x.Count;
        x.Require(nameof(x), n, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        var outShape = perm.Select(p => shape[p]).ToArray();
        StridedCopy(stream, outShape, perm.Select(p => x.Strides[p]).ToArray(), StridedIndex.Contiguous(outShape), x.Buffer, x.Offset, y.Buffer, y.Offset);
    }

    /// <summary>Slice with already normalised per-axis (start, step): y[i] = x[start + i·step] on every axis, y's shape giving the counts.</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="starts">First index per axis (in range).</param>
    /// <param name="steps">Step per axis (non-zero, may be negative).</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output; its shape is the number of elements taken per axis.</param>
    public static void Slice(ComputeStream stream, int[] starts, int[] steps, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(starts);
        ArgumentNullException.ThrowIfNull(steps);
        int[] shape = x.Shape, counts = y.Shape;
        if (starts.Length != shape.Length || steps.Length != shape.Length || counts.Length != shape.Length)
            throw new ArgumentException("Slice: starts, steps and the output shape must have one entry per axis of x");
        x.Require(nameof(x), x.Count, TensorStorage.F32);
        y.Require(nameof(y), y.Count, TensorStorage.F32);
        long off = x.Offset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (steps[i] == 0) throw new ArgumentException($"Slice: step of axis {i} is 0", nameof(steps));
            if (counts[i] > 0)
            {
                var last = starts[i] + (long)steps[i] * (counts[i] - 1);
                if (starts[i] < 0 || starts[i] >= shape[i] || last < 0 || last >= shape[i])
                    throw new ArgumentOutOfRangeException(nameof(starts), $"Slice: axis {i} range {starts[i]}..{last} step {steps[i]} is outside 0..{shape[i] - 1}");
                off += starts[i] * x.Strides[i];
            }
        }
        StridedCopy(stream, counts, x.Strides.Select((s, i) => s * steps[i]).ToArray(), y.Strides, x.Buffer, off, y.Buffer, y.Offset);
    }

    /// <summary>Concatenates inputs (same rank, equal dims except <paramref name="axis"/>) into y.</summary>
    public static void Concat(ComputeStream stream, int axis, IReadOnlyList<DeviceTensor> inputs, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input", nameof(inputs));
        var first = inputs[0].Shape;
        var rank = first.Length;
        if (axis < 0 || axis >= rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Concat axis outside rank {rank}");
        var outShape = (int[])first.Clone();
        outShape[axis] = 0;
        foreach (var x in inputs)
        {
            var s = x.Shape;
            if (s.Length != rank) throw new ArgumentException("Concat inputs must have equal rank", nameof(inputs));
            for (int i = 0; i < rank; i++)
                if (i != axis && s[i] != first[i])
                    throw new ArgumentException($"Concat inputs differ on axis {i}: {s[i]} vs {first[i]}", nameof(inputs));
            outShape[axis] += s[axis];
            x.Require(nameof(inputs), x.Count, TensorStorage.F32);
        }
        y.Require(nameof(y), OpCheck.Count(outShape), TensorStorage.F32);
        var ys = StridedIndex.Contiguous(outShape);
        long at = 0;
        foreach (var x in inputs)
        {
            StridedCopy(stream, x.Shape, x.Strides, ys, x.Buffer, x.Offset, y.Buffer, y.Offset + at * ys[axis]);
            at += x.Shape[axis];
        }
    }

    /// <summary>Broadcasts x (shape broadcastable to y's shape by numpy rules) into y.</summary>
    public static void Expand(ComputeStream stream, DeviceTensor x, DeviceTensor y)
    {
        var xs = Broadcast.StridesFor(x.Shape, y.Shape, nameof(x));
        x.Require(nameof(x), x.Count, TensorStorage.F32);
        y.Require(nameof(y), y.Count, TensorStorage.F32);
        StridedCopy(stream, y.Shape, xs, y.Strides, x.Buffer, x.Offset, y.Buffer, y.Offset);
    }
}
