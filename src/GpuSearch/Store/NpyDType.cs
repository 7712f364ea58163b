// The element types the .npy reader/writer understands, and the mapping between numpy "descr"
// strings, element sizes and CLR types. Kept in one place so the reader, writer and store agree.
namespace GpuSearch.Store;

/// <summary>Element types supported in <c>.npy</c> files (all little-endian, C order).</summary>
internal enum NpyDType
{
    /// <summary>IEEE 754 single precision, numpy <c>&lt;f4</c>.</summary>
    Float32,
    /// <summary>IEEE 754 half precision, numpy <c>&lt;f2</c>.</summary>
    Float16,
    /// <summary>Signed 64-bit integer, numpy <c>&lt;i8</c>.</summary>
    Int64,
    /// <summary>Signed 32-bit integer, numpy <c>&lt;i4</c>.</summary>
    Int32,
    /// <summary>Signed 8-bit integer, numpy <c>|i1</c>.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer, numpy <c>|u1</c>.</summary>
    UInt8,
}

/// <summary>Facts about <see cref="NpyDType"/> values.</summary>
internal static class NpyDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this NpyDType t) => t switch
    {
        NpyDType.Float32 or NpyDType.Int32 => 4,
        NpyDType.Float16 => 2,
        NpyDType.Int64 => 8,
        NpyDType.Int8 or NpyDType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>The descr string numpy writes for this type (what our writer emits).</summary>
    public static string Descr(this NpyDType t) => t switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float16 => "<f2",
        NpyDType.Int64 => "<i8",
        NpyDType.Int32 => "<i4",
        NpyDType.Int8 => "|i1",
        NpyDType.UInt8 => "|u1",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>The CLR element type that views this dtype.</summary>
    public static Type ClrType(this NpyDType t) => t switch
    {
        NpyDType.Float32 => typeof(float),
        NpyDType.Float16 => typeof(Half),
        NpyDType.Int64 => typeof(long),
        NpyDType.Int32 => typeof(int),
        NpyDType.Int8 => typeof(sbyte),
        NpyDType.UInt8 => typeof(byte),
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>The dtype stored for CLR type <typeparamref name="T"/>; throws for unsupported types.</summary>
    public static NpyDType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return NpyDType.Float32;
        if (typeof(T) == typeof(Half)) return NpyDType.Float16;
        if (typeof(T) == typeof(long)) return NpyDType.Int64;
        if (typeof(T) == typeof(int)) return NpyDType.Int32;
        if (typeof(T) == typeof(sbyte)) return NpyDType.Int8;
        if (typeof(T) == typeof(byte)) return NpyDType.UInt8;
        throw new NotSupportedException($"{typeof(T).Name} has no .npy dtype here (use float, Half, long, int, sbyte or byte)");
    }

    /// <summary>
    /// Parses a numpy descr string. Byte order: '&lt;' and '=' (native, little-endian on every
    /// platform we run on) are accepted; '|' only for one-byte types, where order is meaningless.
    /// </summary>
    /// <exception cref="InvalidDataException">Big-endian, object, or unsupported types, naming <paramref name="file"/>.</exception>
    public static NpyDType Parse(string descr, string file)
    {
        if (descr.Length < 2) throw Bad(file, $"dtype '{descr}' is not a simple numpy type");
        char order = descr[0];
        string code = order is '<' or '>' or '=' or '|' ? descr[1..] : descr;
        if (code.StartsWith('O')) throw Bad(file, $"dtype '{descr}' is an object (pickled) array, which is never read");
        if (order == '>' && code is not ("i1" or "u1" or "b1"))
            throw Bad(file, $"dtype '{descr}' is big-endian; only little-endian data is supported (convert with arr.astype('<{code}'))");
        NpyDType? t = code switch
        {
            "f4" => NpyDType.Float32,
            "f2" => NpyDType.Float16,
            "i8" => NpyDType.Int64,
            "i4" => NpyDType.Int32,
            "i1" => NpyDType.Int8,
            "u1" => NpyDType.UInt8,
            _ => null,
        };
        if (t is null) throw Bad(file, $"dtype '{descr}' is not supported (supported: <f4, <f2, <i8, <i4, |i1, |u1)");
        if (order == '|' && t.Value.ItemSize() != 1)
            throw Bad(file, $"dtype '{descr}' has no byte order for a multi-byte type");
        return t.Value;
    }

    private static InvalidDataException Bad(string file, string what) => new($"{file}: {what}");
}
