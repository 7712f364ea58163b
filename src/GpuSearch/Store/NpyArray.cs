// An in-memory .npy array: dtype, shape and the raw little-endian bytes, with typed span views.
// Sized for result files and fixtures (up to 2 GiB); big vector files go through NpyRowReader.
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

/// <summary>A 1-D or 2-D C-order array as read from or written to a <c>.npy</c> file.</summary>
internal sealed class NpyArray
{
    private readonly byte[] _data;

    /// <summary>Wraps raw element bytes; the length must match dtype × shape.</summary>
    public NpyArray(NpyDType dtype, long[] shape, byte[] data)
    {
        if (shape.Length is < 1 or > 2) throw new ArgumentException("only 1-D and 2-D arrays are supported", nameof(shape));
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count * dtype.ItemSize() != data.Length)
            throw new ArgumentException($"{data.Length} bytes do not hold shape ({string.Join(", ", shape)}) of {dtype}", nameof(data));
        DType = dtype;
        Shape = shape;
        _data = data;
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Dimensions.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>1 or 2.</summary>
    public int Rank => Shape.Count;

    /// <summary>First dimension.</summary>
    public long Rows => Shape[0];

    /// <summary>Second dimension, or 1 for a 1-D array.</summary>
    public long Columns => Rank == 2 ? Shape[1] : 1;

    /// <summary>Raw element bytes, little-endian, C order.</summary>
    public ReadOnlySpan<byte> Bytes => _data;

    /// <summary>All elements as <typeparamref name="T"/>, which must be the dtype's CLR type.</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        var want = NpyDTypes.Of<T>();
        if (want != DType) throw new InvalidOperationException($"array holds {DType} ({DType.Descr()}), not {want}");
        return MemoryMarshal.Cast<byte, T>(_data);
    }

    /// <summary>Row <paramref name="row"/> of a 2-D array (the single element of a 1-D one).</summary>
    public ReadOnlySpan<T> Row<T>(long row) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return AsSpan<T>().Slice(checked((int)(row * Columns)), (int)Columns);
    }

    /// <summary>Copies every element to float32, whatever the stored dtype.</summary>
    public float[] ToFloat32()
    {
        var n = checked((int)(Rows * Columns));
        var dst = new float[n];
        NpyConvert.ToFloat32(DType, _data, dst);
        return dst;
    }

    /// <summary>Builds an array from typed data (copied).</summary>
    public static NpyArray Create<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
        => new(NpyDTypes.Of<T>(), shape, MemoryMarshal.AsBytes(data).ToArray());
}

/// <summary>Element conversions shared by arrays, row readers and the store.</summary>
internal static class NpyConvert
{
    public static void ToFloat32(NpyDType dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (dtype)
        {
            case NpyDType.Float32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case NpyDType.Float16:
                var h = MemoryMarshal.Cast<byte, Half>(src);
                for (int i = 0; i < h.Length; i++) dst[i] = (float)h[i];
                break;
            case NpyDType.Int64:
                var l = MemoryMarshal.Cast<byte, long>(src);
                for (int i = 0; i < l.Length; i++) dst[i] = l[i];
                break;
            case NpyDType.Int32:
                var n = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n.Length; i++) dst[i] = n[i];
                break;
            case NpyDType.Int8:
                for (int i = 0; i < src.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case NpyDType.UInt8:
                for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }
}
