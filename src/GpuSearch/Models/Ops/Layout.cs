// Host side of kernels/layout.cl strided_copy: Transpose, Slice, Concat and Expand as strided copies.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Data-movement ops on fp32 tensors (row-major shapes, element offsets).</summary>
internal static class Layout
{
    private const int Group = 256;

    /// <summary>Copies the index space <paramref name="dims"/> from x (strides xs) to y (strides ys). No range checks.</summary>
    internal static void StridedCopy(ComputeStream stream, ReadOnlySpan<int> dims, long[] xs, long[] ys,
        DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        var n = OpCheck.Count(dims);
        if (n == 0) return;
        var (d, s) = StridedIndex.Collapse(dims, xs, ys);
        // At most two dims left with unit inner strides: whole rows, no per-element index arithmetic.
        if (d.Take(StridedIndex.MaxDims - 2).All(v => v == 1) && s[0][^1] == 1 && s[1][^1] == 1)
        {
            var rk = stream.Device.GetKernel("layout.cl", "copy_rows");
            stream.Launch(rk, [(long)d[^1] * d[^2]], [Group], new KernelArgs().Int(d[^2]).Int(d[^1])
                .Buffer(x).Long(xOffset).Long(s[0][^2]).Buffer(y).Long(yOffset).Long(s[1][^2]));
            return;
        }
        var k = stream.Device.GetKernel("layout.cl", "strided_copy");
        var args = new KernelArgs().Long(n);
        foreach (var v in d) args.Int(v);
        foreach (var v in s[0]) args.Long(v);
        foreach (var v in s[1]) args.Long(v);
        stream.Launch(k, [n], [Group], args.Buffer(x).Long(xOffset).Buffer(y).Long(yOffset));
    }

    /// <summary>Transpose: output dim i is input dim perm[i].</summary>
    public static void Transpose(ComputeStream stream, int[] shape, int[] perm, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(perm);
        if (perm.Length != shape.Length || perm.Order().Where((p, i) => p != i).Any())
            throw new ArgumentException($"perm [{string.Join(",", perm)}] is not a permutation of {shape.Length} axes", nameof(perm));
        var n = OpCheck.Count(shape);
        OpCheck.Range(x, xOffset, n, nameof(x));
        OpCheck.Range(y, yOffset, n, nameof(y));
        var inStrides = StridedIndex.Contiguous(shape);
        var outShape = perm.Select(p => shape[p]).ToArray();
        StridedCopy(stream, outShape, perm.Select(p => inStrides[p]).ToArray(), StridedIndex.Contiguous(outShape), x, xOffset, y, yOffset);
    }

    /// <summary>Slice with already normalised per-axis (start, step, count): y[i] = x[start + i·step] on every axis.</summary>
    /// <param name="shape">Input shape.</param>
    /// <param name="starts">First index per axis (in range).</param>
    /// <param name="steps">Step per axis (non-zero, may be negative).</param>
    /// <param name="counts">Elements taken per axis.</param>
    /// <param name="x">Input.</param>
    /// <param name="xOffset">Element offset of x.</param>
    /// <param name="y">Output of shape <paramref name="counts"/>.</param>
    /// <param name="yOffset">Element offset of y.</param>
    /// <param name="stream">Stream to run on.</param>
    public static void Slice(ComputeStream stream, int[] shape, int[] starts, int[] steps, int[] counts,
        DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (starts.Length != shape.Length || steps.Length != shape.Length || counts.Length != shape.Length)
            throw new ArgumentException("Slice: starts, steps and counts must have one entry per axis");
        var inStrides = StridedIndex.Contiguous(shape);
        long off = xOffset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (steps[i] == 0) throw new ArgumentException($"Slice: step of axis {i} is 0", nameof(steps));
            if (counts[i] < 0) throw new ArgumentOutOfRangeException(nameof(counts), counts[i], $"Slice: negative count on axis {i}");
            if (counts[i] > 0)
            {
                var last = starts[i] + (long)steps[i] * (counts[i] - 1);
                if (starts[i] < 0 || starts[i] >= shape[i] || last < 0 || last >= shape[i])
                    throw new ArgumentOutOfRangeException(nameof(starts), $"Slice: axis {i} range {starts[i]}..{last} step {steps[i]} is outside 0..{shape[i] - 1}");
                off += starts[i] * inStrides[i];
            }
        }
        OpCheck.Range(x, xOffset, OpCheck.Count(shape), nameof(x));
        OpCheck.Range(y, yOffset, OpCheck.Count(counts), nameof(y));
        StridedCopy(stream, counts, inStrides.Select((s, i) => s * steps[i]).ToArray(), StridedIndex.Contiguous(counts), x, off, y, yOffset);
    }

    /// <summary>Concatenates inputs (same rank, equal dims except <paramref name="axis"/>) into y.</summary>
    public static void Concat(ComputeStream stream, int axis, IReadOnlyList<(int[] Shape, DeviceBuffer Buffer, long Offset)> inputs,
        DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input", nameof(inputs));
        var rank = inputs[0].Shape.Length;
        if (axis < 0 || axis >= rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Concat axis outside rank {rank}");
        var outShape = (int[])inputs[0].Shape.Clone();
        outShape[axis] = 0;
        foreach (var (s, _, _) in inputs)
        {
            if (s.Length != rank) throw new ArgumentException("Concat inputs must have equal rank", nameof(inputs));
            for (int i = 0; i < rank; i++)
                if (i != axis && s[i] != inputs[0].Shape[i])
                    throw new ArgumentException($"Concat inputs differ on axis {i}: {s[i]} vs {inputs[0].Shape[i]}", nameof(inputs));
            outShape[axis] += s[axis];
        }
        OpCheck.Range(y, yOffset, OpCheck.Count(outShape), nameof(y));
        var ys = StridedIndex.Contiguous(outShape);
        long at = 0;
        foreach (var (s, b, o) in inputs)
        {
            OpCheck.Range(b, o, OpCheck.Count(s), "inputs");
            StridedCopy(stream, s, StridedIndex.Contiguous(s), ys, b, o, y, yOffset + at * ys[axis]);
            at += s[axis];
        }
    }

    /// <summary>Broadcasts x (shape broadcastable to <paramref name="outShape"/> by numpy rules) into y.</summary>
    public static void Expand(ComputeStream stream, int[] shape, int[] outShape, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset)
    {
        var xs = Broadcast.StridesFor(shape, outShape, nameof(shape));
        OpCheck.Range(x, xOffset, OpCheck.Count(shape), nameof(x));
        OpCheck.Range(y, yOffset, OpCheck.Count(outShape), nameof(y));
        StridedCopy(stream, outShape, xs, StridedIndex.Contiguous(outShape), x, xOffset, y, yOffset);
    }
}
