// Storage precision of tensors on the device: fp32, or fp16 storage with fp32 arithmetic.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Element storage of device tensors. Arithmetic is always fp32; fp16 only halves the bytes moved.</summary>
internal enum TensorStorage
{
    /// <summary>32-bit floats.</summary>
    F32 = 0,
    /// <summary>IEEE half floats, converted with vload_half/vstore_half.</summary>
    F16 = 1,
}

/// <summary>Argument checks shared by the op host classes.</summary>
internal static class OpCheck
{
    /// <summary>Bytes per element.</summary>
    public static int Size(TensorStorage s) => s == TensorStorage.F16 ? 2 : 4;

    /// <summary>Throws unless <paramref name="count"/> elements at element <paramref name="offset"/> lie inside the buffer.</summary>
    public static void Range(DeviceBuffer? b, long offset, long count, string name, TensorStorage storage = TensorStorage.F32)
    {
        ArgumentNullException.ThrowIfNull(b, name);
        if (offset < 0) throw new ArgumentOutOfRangeException(name, offset, $"Element offset into {name} is negative");
        var size = Size(storage);
        b.CheckRange(offset * size, count * size, name);
    }

    /// <summary>Throws unless every dimension is positive.</summary>
    public static void Positive(string what, params int[] values)
    {
        foreach (var v in values)
            if (v <= 0) throw new ArgumentOutOfRangeException(what, v, $"{what} must be positive (got {string.Join(", ", values)})");
    }

    /// <summary>Product of dimensions as a 64-bit count.</summary>
    public static long Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), d, "Negative dimension");
            n *= d;
        }
        return n;
    }

    /// <summary>Rounds up to a multiple.</summary>
    public static long RoundUp(long n, long multiple) => (n + multiple - 1) / multiple * multiple;
}
