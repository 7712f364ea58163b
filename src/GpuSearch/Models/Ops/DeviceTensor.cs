// A view of a tensor in device memory: buffer, element offset, shape, element strides and storage type.
// Kernel launches take views instead of long positional (buffer, offset) lists, so a shape cannot be paired
// with the wrong buffer or offset, and a launch checks the view it is given in one place.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>A tensor in device memory; offsets and strides count elements of <see cref="DType"/>.</summary>
internal readonly record struct DeviceTensor
{
    /// <summary>The buffer holding the elements.</summary>
    public DeviceBuffer Buffer { get; }
    /// <summary>Element offset of the first element.</summary>
    public long Offset { get; }
    /// <summary>Dims, outermost first.</summary>
    public int[] Shape { get; }
    /// <summary>Element strides per dim (row-major contiguous unless made otherwise).</summary>
    public long[] Strides { get; }
    /// <summary>Element storage (arithmetic is always fp32).</summary>
    public TensorStorage DType { get; }

    /// <summary>A view; <paramref name="strides"/> null means row-major contiguous.</summary>
    public DeviceTensor(DeviceBuffer buffer, long offset, int[] shape, long[]? strides = null, TensorStorage dtype = TensorStorage.F32)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"negative dim in [{string.Join(",", shape)}]", nameof(shape));
        strides ??= StridedIndex.Contiguous(shape);
        if (strides.Length != shape.Length) throw new ArgumentException($"{strides.Length} strides for rank {shape.Length}", nameof(strides));
        Buffer = buffer; Offset = offset; Shape = shape; Strides = strides; DType = dtype;
    }

    /// <summary>A contiguous view of <paramref name="count"/> elements, as a 1-D tensor.</summary>
    public static DeviceTensor Flat(DeviceBuffer buffer, long offset, long count, TensorStorage dtype = TensorStorage.F32) =>
        new(buffer, offset, [checked((int)count)], null, dtype);

    /// <summary>Number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>True when the elements are row-major contiguous.</summary>
    public bool IsContiguous => Strides.SequenceEqual(StridedIndex.Contiguous(Shape));

    /// <summary>The same elements under another contiguous shape with the same count.</summary>
    public DeviceTensor Reshaped(params int[] shape)
    {
        var v = new DeviceTensor(Buffer, Offset, shape, null, DType);
        if (!IsContiguous || v.Count != Count) throw new ArgumentException($"cannot view [{string.Join(",", Shape)}] as [{string.Join(",", shape)}]", nameof(shape));
        return v;
    }

    /// <summary>Throws naming <paramref name="name"/> unless the view is contiguous, holds <paramref name="count"/>
    /// elements of <paramref name="dtype"/> and lies inside its buffer.</summary>
    public void Require(string name, long count, TensorStorage dtype)
    {
        if (DType != dtype) throw new ArgumentException($"{name} is stored as {DType}, expected {dtype}", name);
        if (!IsContiguous) throw new ArgumentException($"{name} must be contiguous", name);
        if (Count != count) throw new ArgumentException($"{name} has {Count} elements [{string.Join(",", Shape)}], expected {count}", name);
        OpCheck.Range(Buffer, Offset, count, name, dtype);
    }
}
