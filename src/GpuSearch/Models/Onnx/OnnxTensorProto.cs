// ONNX TensorProto read field by field, keeping every storage form (raw_data, typed fields, external
// data) as found; OnnxTensorDecoder validates and converts them into a ConstTensor.
using Google.Protobuf;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Onnx;

/// <summary>The parts of an ONNX <c>TensorProto</c> the engine reads, undecoded.</summary>
internal sealed class OnnxTensorProto
{
    /// <summary>Field 1.</summary>
    public List<long> Dims { get; } = [];
    /// <summary>Field 2.</summary>
    public TensorDataType DataType { get; set; }
    /// <summary>Field 8.</summary>
    public string Name { get; set; } = "";
    /// <summary>Field 9, null when absent: a view into the model file's bytes.</summary>
    public ReadOnlyMemory<byte>? RawData { get; set; }
    /// <summary>Field 4, as it is almost always written: one packed run, read straight into the array the tensor keeps.</summary>
    public float[]? PackedFloats { get; private set; }
    /// <summary>Field 4 in any other form (unpacked, or more than one run), with <see cref="PackedFloats"/> moved in first.</summary>
    public List<float> FloatData { get; } = [];
    /// <summary>Field 5 (also carries fp16/bf16 bits, int8/uint8/int16/uint16 and bool).</summary>
    public List<int> Int32Data { get; } = [];
    /// <summary>Field 7.</summary>
    public List<long> Int64Data { get; } = [];
    /// <summary>Field 10.</summary>
    public List<double> DoubleData { get; } = [];
    /// <summary>Field 11 (uint32 and uint64).</summary>
    public List<ulong> UInt64Data { get; } = [];
    /// <summary>Field 6 count; string tensors are not supported, but their presence is noted.</summary>
    public int StringDataCount { get; set; }
    /// <summary>Field 13: key/value pairs (location, offset, length, checksum).</summary>
    public Dictionary<string, string> ExternalData { get; } = [];
    /// <summary>Field 14: 0 = DEFAULT, 1 = EXTERNAL.</summary>
    public int DataLocation { get; set; }

    internal static OnnxTensorProto Read(CodedInputStream input)
    {
        var t = new OnnxTensorProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: OnnxWire.ReadInt64s(input, tag, t.Dims); break;
                case 2: t.DataType = (TensorDataType)input.ReadInt32(); break;
                case 4:
                    if (OnnxWire.IsPacked(tag) && t.PackedFloats is null && t.FloatData.Count == 0) t.PackedFloats = OnnxWire.ReadPackedFloats(input);
                    else
                    {
                        if (t.PackedFloats is { } first) { t.FloatData.AddRange(first); t.PackedFloats = null; }
                        OnnxWire.ReadFloats(input, tag, t.FloatData);
                    }
                    break;
                case 5: OnnxWire.ReadInt32s(input, tag, t.Int32Data); break;
                case 6: input.SkipLastField(); t.StringDataCount++; break;
                case 7: OnnxWire.ReadInt64s(input, tag, t.Int64Data); break;
                case 8: t.Name = input.ReadString(); break;
                case 9: t.RawData = OnnxWire.ReadBytesView(input); break;
                case 10: OnnxWire.ReadDoubles(input, tag, t.DoubleData); break;
                case 11: OnnxWire.ReadUInt64s(input, tag, t.UInt64Data); break;
                case 13:
                    var (k, v) = OnnxWire.ReadMessage(input, ReadEntry);
                    t.ExternalData[k] = v;
                    break;
                case 14: t.DataLocation = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return t;
    }

    private static (string, string) ReadEntry(CodedInputStream input)
    {
        string k = "", v = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: k = input.ReadString(); break;
                case 2: v = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (k, v);
    }
}
