// Element types of tensors, numbered exactly as ONNX's TensorProto.DataType so the reader can cast the
// wire value directly. Only some are computable; the rest exist so errors can name what was found.
namespace GpuSearch.Models.Graph;

/// <summary>Tensor element type; the numeric values are ONNX's <c>TensorProto.DataType</c> codes.</summary>
internal enum TensorDataType
{
    /// <summary>Not set / unknown.</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float.</summary>
    Float = 1,
    /// <summary>Unsigned byte.</summary>
    UInt8 = 2,
    /// <summary>Signed byte.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 strings (not computable here).</summary>
    String = 8,
    /// <summary>Boolean stored as one byte.</summary>
    Bool = 9,
    /// <summary>IEEE half precision.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two floats (not supported).</summary>
    Complex64 = 14,
    /// <summary>Complex of two doubles (not supported).</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
}

/// <summary>Facts about <see cref="TensorDataType"/> values.</summary>
internal static class TensorDataTypes
{
    /// <summary>Bytes per element in ONNX raw_data, or 0 for types without a fixed size (string, undefined).</summary>
    public static int ElementSize(this TensorDataType t) => t switch
    {
        TensorDataType.Float or TensorDataType.Int32 or TensorDataType.UInt32 => 4,
        TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.Bool => 1,
        TensorDataType.UInt16 or TensorDataType.Int16 or TensorDataType.Float16 or TensorDataType.BFloat16 => 2,
        TensorDataType.Int64 or TensorDataType.UInt64 or TensorDataType.Double or TensorDataType.Complex64 => 8,
        TensorDataType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>True for types stored as <see cref="ConstTensor.Floats"/> (fp32, fp16, bf16, double).</summary>
    public static bool IsFloating(this TensorDataType t) =>
        t is TensorDataType.Float or TensorDataType.Float16 or TensorDataType.BFloat16 or TensorDataType.Double;

    /// <summary>True for integer and bool types, stored as <see cref="ConstTensor.Longs"/>.</summary>
    public static bool IsIntegral(this TensorDataType t) =>
        t is TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.UInt16 or TensorDataType.Int16
            or TensorDataType.Int32 or TensorDataType.Int64 or TensorDataType.Bool or TensorDataType.UInt32
            or TensorDataType.UInt64;

    /// <summary>Lower-case short name used in messages and JSON (e.g. "float32", "int64").</summary>
    public static string ShortName(this TensorDataType t) => t switch
    {
        TensorDataType.Float => "float32",
        TensorDataType.Float16 => "float16",
        TensorDataType.BFloat16 => "bfloat16",
        TensorDataType.Double => "float64",
        _ => t.ToString().ToLowerInvariant(),
    };
}
