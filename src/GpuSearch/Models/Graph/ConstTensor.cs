// Constant tensor data held on the host: initializers, Constant nodes and folded results. Floating types
// are widened to float[] and integral/bool types to long[] so rules and the executor see two shapes of data.
namespace GpuSearch.Models.Graph;

/// <summary>
/// A constant tensor on the host. Exactly one of <see cref="Floats"/> (for fp32/fp16/bf16/double sources)
/// or <see cref="Longs"/> (for integer and bool sources) is non-null; <see cref="DataType"/> keeps the
/// declared ONNX type so an executor can still tell an fp16 weight from an fp32 one.
/// </summary>
internal sealed class ConstTensor
{
    /// <summary>Declared element type.</summary>
    public TensorDataType DataType { get; }

    /// <summary>Dimensions (all known; empty for a scalar).</summary>
    public long[] Dims { get; }

    /// <summary>Element data when <see cref="DataType"/> is floating, row-major; else null.</summary>
    public float[]? Floats { get; }

    /// <summary>Element data when <see cref="DataType"/> is integral or bool, row-major; else null.</summary>
    public long[]? Longs { get; }

    private ConstTensor(TensorDataType dt, long[] dims, float[]? f, long[]? l)
    {
        long n = ElementCountOf(dims);
        long have = f?.LongLength ?? l!.LongLength;
        if (have != n) throw new ArgumentException($"tensor data has {have} elements but dims [{string.Join(",", dims)}] need {n}");
        DataType = dt; Dims = dims; Floats = f; Longs = l;
    }

    /// <summary>A floating tensor (default fp32).</summary>
    public static ConstTensor FromFloats(long[] dims, float[] data, TensorDataType dt = TensorDataType.Float) =>
        dt.IsFloating() ? new(dt, dims, data, null) : throw new ArgumentException($"{dt} is not a floating type");

    /// <summary>An integral tensor (default int64).</summary>
    public static ConstTensor FromLongs(long[] dims, long[] data, TensorDataType dt = TensorDataType.Int64) =>
        dt.IsIntegral() ? new(dt, dims, null, data) : throw new ArgumentException($"{dt} is not an integral type");

    /// <summary>A 1-D int64 tensor.</summary>
    public static ConstTensor Vector(params long[] data) => FromLongs([data.Length], data);

    /// <summary>A 0-D float tensor.</summary>
    public static ConstTensor Scalar(float v) => FromFloats([], [v]);

    /// <summary>Number of elements.</summary>
    public long ElementCount => Floats?.LongLength ?? Longs!.LongLength;

    /// <summary>The shape as a <see cref="TensorShape"/>.</summary>
    public TensorShape Shape => TensorShape.Of(Dims);

    /// <summary>True when the data is float[].</summary>
    public bool IsFloating => Floats is not null;

    /// <summary>Element <paramref name="i"/> as a double, whatever the storage.</summary>
    public double GetDouble(long i) => Floats is { } f ? f[i] : Longs![i];

    /// <summary>Element <paramref name="i"/> as a long (floats truncated).</summary>
    public long GetLong(long i) => Longs is { } l ? l[i] : (long)Floats![i];

    /// <summary>All elements as float (integers converted).</summary>
    public float[] ToFloats() => Floats ?? Array.ConvertAll(Longs!, v => (float)v);

    /// <summary>All elements as long (floats truncated).</summary>
    public long[] ToLongs() => Longs ?? Array.ConvertAll(Floats!, v => (long)v);

    /// <summary>A copy with new dims (same element count).</summary>
    public ConstTensor Reshaped(long[] dims) => new(DataType, dims, Floats, Longs);

    /// <summary>Product of <paramref name="dims"/>, checked for overflow and negative entries.</summary>
    public static long ElementCountOf(IReadOnlyList<long> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}");
            n = checked(n * d);
        }
        return n;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{DataType.ShortName()}[{string.Join(",", Dims)}]";
}
