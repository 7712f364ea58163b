// Turns an OnnxTensorProto into a ConstTensor: validates dims and sizes BEFORE allocating (a corrupt file
// must not make us allocate terabytes), resolves external data strictly inside the model's folder, and
// widens fp16/bf16/double to float and integers/bool to long.
using System.Buffers.Binary;
using GpuSearch.IO;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Onnx;

internal static class OnnxTensorDecoder
{
    /// <summary>Largest tensor we agree to materialise on the host: its stored bytes must fit one .NET array
    /// (about 2 GiB), far above any CNN weight.</summary>
    private static long MaxBytes => Array.MaxLength;

    /// <summary>Decodes <paramref name="t"/>; <paramref name="modelDir"/> (may be null for in-memory models) anchors external data.</summary>
    public static ConstTensor Decode(OnnxTensorProto t, string? modelDir, string what = "tensor")
    {
        string label = $"{what} '{t.Name}'";
        var dt = t.DataType;
        if (!dt.IsFloating() && !dt.IsIntegral())
            throw new InvalidDataException($"{label}: data type {dt} ({(int)dt}) is not supported (supported: float32, float16, bfloat16, float64, int8/16/32/64, uint8/16/32/64, bool)");
        var dims = t.Dims.ToArray();
        long count;
        try { count = ConstTensor.ElementCountOf(dims); }
        catch (ArgumentException) { throw new InvalidDataException($"{label}: invalid dims [{string.Join(",", dims)}] (negative dimension)"); }
        catch (OverflowException) { throw new InvalidDataException($"{label}: dims [{string.Join(",", dims)}] overflow the element count"); }
        if (count > MaxBytes / dt.ElementSize())
            throw new InvalidDataException($"{label}: a tensor of {count} {dt.ShortName()} elements exceeds the limit of {MaxBytes} bytes");

        ReadOnlySpan<byte> raw;
        byte[]? external = null;
        if (t.DataLocation == 1 || t.ExternalData.Count > 0)
        {
            external = ReadExternal(t, modelDir, label, count * dt.ElementSize());
            raw = external;
        }
        else if (t.RawData is { } rd) raw = rd.Span;
        else return FromTyped(t, dims, count, label);

        long want = count * dt.ElementSize();
        if (raw.Length != want)
            throw new InvalidDataException($"{label}: raw data holds {raw.Length} bytes but dims [{string.Join(",", dims)}] of {dt.ShortName()} need {want}");
        return FromRaw(raw, dt, dims, count);
    }

    private static ConstTensor FromRaw(ReadOnlySpan<byte> raw, TensorDataType dt, long[] dims, long count)
    {
        int n = (int)count;
        if (dt.IsFloating())
        {
            var f = new float[n];
            for (int i = 0; i < n; i++)
                f[i] = dt switch
                {
                    TensorDataType.Float => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                    TensorDataType.Float16 => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..])),
                    TensorDataType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                    _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                };
            return ConstTensor.FromFloats(dims, f, dt);
        }
        var l = new long[n];
        for (int i = 0; i < n; i++)
            l[i] = dt switch
            {
                TensorDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                TensorDataType.UInt64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]),
                TensorDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                TensorDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                TensorDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                TensorDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                TensorDataType.Int8 => (sbyte)raw[i],
                TensorDataType.Bool => raw[i] != 0 ? 1 : 0,
                _ => raw[i],
            };
        return ConstTensor.FromLongs(dims, l, dt);
    }

    private static ConstTensor FromTyped(OnnxTensorProto t, long[] dims, long count, string label)
    {
        var dt = t.DataType;
        // Which typed field carries each data type is fixed by onnx.proto.
        long have = dt switch
        {
            TensorDataType.Float => t.PackedFloats?.Length ?? t.FloatData.Count,
            TensorDataType.Double => t.DoubleData.Count,
            TensorDataType.Int64 => t.Int64Data.Count,
            TensorDataType.UInt32 or TensorDataType.UInt64 => t.UInt64Data.Count,
            _ => t.Int32Data.Count,
        };
        if (have != count)
            throw new InvalidDataException($"{label}: typed data holds {have} elements but dims [{string.Join(",", dims)}] need {count}");
        switch (dt)
        {
            case TensorDataType.Float: return ConstTensor.FromFloats(dims, t.PackedFloats ?? t.FloatData.ToArray());
            case TensorDataType.Double: return ConstTensor.FromFloats(dims, t.DoubleData.Select(d => (float)d).ToArray(), dt);
            case TensorDataType.Float16:
                return ConstTensor.FromFloats(dims, t.Int32Data.Select(b => (float)BitConverter.UInt16BitsToHalf((ushort)b)).ToArray(), dt);
            case TensorDataType.BFloat16:
                return ConstTensor.FromFloats(dims, t.Int32Data.Select(b => BitConverter.Int32BitsToSingle((b & 0xFFFF) << 16)).ToArray(), dt);
            case TensorDataType.Int64: return ConstTensor.FromLongs(dims, t.Int64Data.ToArray(), dt);
            case TensorDataType.UInt32 or TensorDataType.UInt64: return ConstTensor.FromLongs(dims, t.UInt64Data.Select(u => (long)u).ToArray(), dt);
            case TensorDataType.Bool: return ConstTensor.FromLongs(dims, t.Int32Data.Select(v => v != 0 ? 1L : 0L).ToArray(), dt);
            default: return ConstTensor.FromLongs(dims, t.Int32Data.Select(v => (long)v).ToArray(), dt);
        }
    }

    /// <summary>Reads external data, refusing any location whose real path (links followed) is outside
    /// <paramref name="modelDir"/>'s real path, and anything but a regular file. Everything is checked before reading.</summary>
    private static byte[] ReadExternal(OnnxTensorProto t, string? modelDir, string label, long want)
    {
        if (!t.ExternalData.TryGetValue("location", out var location) || location.Length == 0)
            throw new InvalidDataException($"{label}: external data has no location");
        if (modelDir is null)
            throw new InvalidDataException($"{label}: external data '{location}' cannot be resolved for a model not loaded from a file");
        // Absolute paths and '..' segments are refused from the text alone; symbolic links (of the file or
        // of any folder on the way) only show once resolved, so the real path is compared too.
        var segments = location.Split('/', '\\');
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\') || segments.Contains(".."))
            throw new InvalidDataException($"{label}: external data location '{location}' escapes the model's folder");
        long offset = ParseLong(t, "offset", 0, label);
        long length = ParseLong(t, "length", want, label);
        if (length != want)
            throw new InvalidDataException($"{label}: external data length {length} does not match dims × element size = {want}");
        string? real;
        try { real = UntrustedFile.ResolveInside(modelDir, location); }
        catch (FileNotFoundException) { throw new InvalidDataException($"{label}: external data file '{location}' not found next to the model"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{label}: external data file '{location}' cannot be resolved: {e.Message}", e);
        }
        if (real is null)
            throw new InvalidDataException($"{label}: external data location '{location}' escapes the model's folder through a symbolic link");
        try
        {
            using var fs = UntrustedFile.OpenRegularInside(modelDir, real)
                ?? throw new InvalidDataException($"{label}: external data location '{location}' escapes the model's folder (it changed while being opened)");
            long size = fs.Length;
            if (offset > size || length > size - offset)
                throw new InvalidDataException($"{label}: external data range [{offset}, {offset}+{length}) is outside '{location}' ({size} bytes)");
            var buf = new byte[length];
            fs.Position = offset;
            fs.ReadExactly(buf);
            return buf;
        }
        catch (NotARegularFileException e)
        {
            throw new InvalidDataException($"{label}: external data '{location}' is not a regular file ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{label}: external data '{location}' cannot be read: {e.Message}", e);
        }
    }

    private static long ParseLong(OnnxTensorProto t, string key, long dflt, string label)
    {
        if (!t.ExternalData.TryGetValue(key, out var s)) return dflt;
        return long.TryParse(s, out var v) && v >= 0 ? v : throw new InvalidDataException($"{label}: external data {key} '{s}' is not a non-negative integer");
    }
}
