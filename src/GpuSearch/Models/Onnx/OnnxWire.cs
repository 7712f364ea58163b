// Small helpers over Google.Protobuf's CodedInputStream for reading ONNX messages by field number without
// generated code: nested messages via length limits, repeated scalars in both packed and unpacked form.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

internal static class OnnxWire
{
    /// <summary>Reads a length-delimited submessage and parses it with <paramref name="body"/>.</summary>
    /// <remarks>Google.Protobuf keeps PushLimit/PopLimit internal, so the submessage bytes are read (one copy per
    /// nesting level) and parsed by a nested stream over that buffer without a further copy.</remarks>
    public static T ReadMessage<T>(CodedInputStream input, Func<CodedInputStream, T> body) => body(Nested(input));

    /// <summary>A stream over the next length-delimited field's bytes.</summary>
    public static CodedInputStream Nested(CodedInputStream input)
    {
        var bytes = input.ReadBytes();
        if (MemoryMarshal.TryGetArray(bytes.Memory, out var seg))
            return new CodedInputStream(seg.Array!, seg.Offset, seg.Count);
        return new CodedInputStream(bytes.ToByteArray());
    }

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
        var span = input.ReadBytes().Span;
        if (span.Length % 4 != 0) throw new InvalidDataException($"packed float field has {span.Length} bytes, not a multiple of 4");
        into.Capacity = Math.Max(into.Capacity, into.Count + span.Length / 4);
        for (int i = 0; i < span.Length; i += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(span[i..]));
    }

    /// <summary>Appends one fixed64 double or, for packed encoding, all of them.</summary>
    public static void ReadDoubles(CodedInputStream input, uint tag, List<double> into)
    {
        if (!IsPacked(tag)) { into.Add(input.ReadDouble()); return; }
        var span = input.ReadBytes().Span;
        if (span.Length % 8 != 0) throw new InvalidDataException($"packed double field has {span.Length} bytes, not a multiple of 8");
        for (int i = 0; i < span.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(span[i..]));
    }
}
