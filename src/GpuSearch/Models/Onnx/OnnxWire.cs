// Small helpers over Google.Protobuf's CodedInputStream for reading ONNX messages by field number without
// generated code: nested messages and bytes fields as views into the file buffer, repeated scalars in both packed
// and unpacked form.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

internal static class OnnxWire
{
    // The file buffer under every stream Over and Nested made: a nested message or a bytes field is then a view into
    // it, not a copy. Google.Protobuf keeps PushLimit/PopLimit internal, and ReadBytes copies: three nesting levels
    // (model, graph, tensor) and the payload cost four copies of every weight, 45 MB each for ResNet-18, all of them
    // first-touched pages at every model load.
    private static readonly ConditionalWeakTable<CodedInputStream, byte[]> Backing = new();

    /// <summary>A stream over a whole model file whose nested messages and bytes fields are read without copies.</summary>
    public static CodedInputStream Over(byte[] buffer) => Register(new CodedInputStream(buffer), buffer);

    /// <summary>Reads a length-delimited submessage and parses it with <paramref name="body"/>.</summary>
    public static T ReadMessage<T>(CodedInputStream input, Func<CodedInputStream, T> body) => body(Nested(input));

    /// <summary>A stream over the next length-delimited field's bytes (the field's tag just read).</summary>
    public static CodedInputStream Nested(CodedInputStream input)
    {
        if (!Backing.TryGetValue(input, out var buffer)) return CopyOf(input.ReadBytes());
        var (start, length) = SkipField(input, buffer);
        return Register(new CodedInputStream(buffer, start, length), buffer);
    }

    /// <summary>The next length-delimited field's bytes (the field's tag just read), a view into the file where it can be.</summary>
    public static ReadOnlyMemory<byte> ReadBytesView(CodedInputStream input)
    {
        if (!Backing.TryGetValue(input, out var buffer)) return input.ReadBytes().Memory;
        var (start, length) = SkipField(input, buffer);
        return buffer.AsMemory(start, length);
    }

    // Skips the field through the stream, which checks its length against the message's end, and returns where its
    // payload lies: for a stream over a buffer, Position is the index into that buffer.
    private static (int Start, int Length) SkipField(CodedInputStream input, byte[] buffer)
    {
        long at = input.Position;
        input.SkipLastField();
        long end = input.Position;
        ulong length = 0;
        int shift = 0;
        long pos = at;
        for (; pos < end; pos++, shift += 7)
        {
            byte b = buffer[pos];
            length |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) break;
        }
        long start = pos + 1;
        if (shift > 63 || start + (long)length != end)
            throw new InvalidDataException($"length-delimited field at byte {at} does not end where its length says");
        return ((int)start, (int)length);
    }

    private static CodedInputStream Register(CodedInputStream s, byte[] buffer)
    {
        Backing.AddOrUpdate(s, buffer);
        return s;
    }

    private static CodedInputStream CopyOf(ByteString bytes) =>
        MemoryMarshal.TryGetArray(bytes.Memory, out var seg) ? new CodedInputStream(seg.Array!, seg.Offset, seg.Count) : new CodedInputStream(bytes.ToByteArray());

    /// <summary>Field number of <paramref name="tag"/>.</summary>
    public static int Field(uint tag) => WireFormat.GetTagFieldNumber(tag);

    /// <summary>True when the tag carries a length-delimited (packed) payload.</summary>
    public static bool IsPacked(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;

    /// <summary>Appends one varint-encoded int64 or, for packed encoding, all of them.</summary>
    public static void ReadInt64s(CodedInputStream input, uint tag, List<long> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadInt64()); return; }
        var sub = Nested(input);
        while (!sub.IsAtEnd) into.Add(sub.ReadInt64());
    }

    /// <summary>Appends one varint-encoded int32 or, for packed encoding, all of them.</summary>
    public static void ReadInt32s(CodedInputStream input, uint tag, List<int> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadInt32()); return; }
        var sub = Nested(input);
        while (!sub.IsAtEnd) into.Add(sub.ReadInt32());
    }

    /// <summary>Appends one varint-encoded uint64 or, for packed encoding, all of them.</summary>
    public static void ReadUInt64s(CodedInputStream input, uint tag, List<ulong> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadUInt64()); return; }
        var sub = Nested(input);
        while (!sub.IsAtEnd) into.Add(sub.ReadUInt64());
    }

    /// <summary>Appends one fixed32 float or, for packed encoding, all of them.</summary>
    public static void ReadFloats(CodedInputStream input, uint tag, List<float> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadFloat()); return; }
        into.AddRange(ReadPackedFloats(input));
    }

    /// <summary>A packed float field as a new array.</summary>
    public static float[] ReadPackedFloats(CodedInputStream input)
    {
        var span = ReadBytesView(input).Span;
        if (span.Length % 4 != 0) throw new InvalidDataException($"packed float field has {span.Length} bytes, not a multiple of 4");
        var values = new float[span.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
        return values;
    }

    /// <summary>Appends one fixed64 double or, for packed encoding, all of them.</summary>
    public static void ReadDoubles(CodedInputStream input, uint tag, List<double> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadDouble()); return; }
        var span = ReadBytesView(input).Span;
        if (span.Length % 8 != 0) throw new InvalidDataException($"packed double field has {span.Length} bytes, not a multiple of 8");
        for (int i = 0; i < span.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(span[i..]));
    }
}
