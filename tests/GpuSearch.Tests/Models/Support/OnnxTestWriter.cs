// Test-only ONNX writer: builds small models in C# with Google.Protobuf's CodedOutputStream (field numbers
// from onnx.proto), so tests need no Python and no committed binaries. Also writes deliberately odd
// encodings (typed vs raw data, unknown fields, external data) to exercise the reader.
using Google.Protobuf;
using GpuSearch.Models.Graph;

namespace GpuSearch.Tests.Models.Support;

/// <summary>An initializer or attribute tensor to write, in whichever storage form the test wants.</summary>
internal sealed class TestTensor
{
    public string Name = "";
    public long[] Dims = [];
    public TensorDataType Type = TensorDataType.Float;
    public byte[]? Raw;
    public float[]? FloatData;
    /// <summary>Write <see cref="FloatData"/> one fixed32 field per value instead of packed.</summary>
    public bool FloatDataUnpacked;
    /// <summary>A second packed float_data run after the first (legal protobuf: repeated fields concatenate).</summary>
    public float[]? FloatDataSecondRun;
    public int[]? Int32Data;
    public long[]? Int64Data;
    public double[]? DoubleData;
    public Dictionary<string, string>? External;

    public static TestTensor Floats(string name, long[] dims, float[] data) =>
        new() { Name = name, Dims = dims, Raw = data.SelectMany(BitConverter.GetBytes).ToArray() };

    public static TestTensor Longs(string name, long[] dims, long[] data) =>
        new() { Name = name, Dims = dims, Type = TensorDataType.Int64, Int64Data = data };

    public byte[] ToBytes()
    {
        return OnnxTestWriter.Message(o =>
        {
            foreach (var d in Dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32((int)Type);
            if (FloatData is not null && FloatDataUnpacked)
                foreach (var f in FloatData) { o.WriteTag(4, WireFormat.WireType.Fixed32); o.WriteFloat(f); }
            else if (FloatData is not null) OnnxTestWriter.Packed(o, 4, FloatData.SelectMany(BitConverter.GetBytes).ToArray());
            if (FloatDataSecondRun is not null) OnnxTestWriter.Packed(o, 4, FloatDataSecondRun.SelectMany(BitConverter.GetBytes).ToArray());
            if (Int32Data is not null) OnnxTestWriter.PackedVarints(o, 5, Int32Data.Select(v => (long)v));
            if (Int64Data is not null) OnnxTestWriter.PackedVarints(o, 7, Int64Data);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(Name);
            if (Raw is not null) { o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(Raw)); }
            if (DoubleData is not null) OnnxTestWriter.Packed(o, 10, DoubleData.SelectMany(BitConverter.GetBytes).ToArray());
            if (External is not null)
            {
                foreach (var (k, v) in External)
                    OnnxTestWriter.Sub(o, 13, OnnxTestWriter.Message(e => { OnnxTestWriter.Str(e, 1, k); OnnxTestWriter.Str(e, 2, v); }));
                o.WriteTag(14, WireFormat.WireType.Varint); o.WriteEnum(1);
            }
        });
    }
}

/// <summary>Builds an ONNX ModelProto byte array.</summary>
internal sealed class OnnxTestWriter
{
    public long IrVersion = 8;
    public long Opset = 13;
    public string Producer = "gpusearch-tests";
    /// <summary>When set, unknown fields are sprinkled into every message to prove they are skipped.</summary>
    public bool AddUnknownFields;
    private readonly List<byte[]> _nodes = [], _inits = [], _inputs = [], _outputs = [];

    /// <summary>Declares a graph input; dims are longs or strings (symbolic).</summary>
    public OnnxTestWriter Input(string name, params object[] dims) { _inputs.Add(ValueInfo(name, TensorDataType.Float, dims)); return this; }

    /// <summary>Declares a graph input with a dtype.</summary>
    public OnnxTestWriter TypedInput(string name, TensorDataType t, params object[] dims) { _inputs.Add(ValueInfo(name, t, dims)); return this; }

    /// <summary>Declares a graph output (shape left to inference).</summary>
    public OnnxTestWriter Output(string name) { _outputs.Add(ValueInfo(name, TensorDataType.Float, null)); return this; }

    public OnnxTestWriter Init(TestTensor t) { _inits.Add(t.ToBytes()); return this; }

    public OnnxTestWriter Init(string name, long[] dims, float[] data) => Init(TestTensor.Floats(name, dims, data));

    /// <summary>Adds a node; attribute values may be long, float, string, long[], float[], TestTensor.</summary>
    public OnnxTestWriter Node(string op, string[] inputs, string[] outputs, string? name = null, Dictionary<string, object>? attrs = null, string domain = "")
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs) Str(o, 1, i);
            foreach (var x in outputs) Str(o, 2, x);
            Str(o, 3, name ?? outputs[0] + "_node");
            Str(o, 4, op);
            foreach (var (k, v) in attrs ?? []) Sub(o, 5, Attribute(k, v));
            if (domain.Length > 0) Str(o, 7, domain);
            if (AddUnknownFields) Unknown(o);
        }));
        return this;
    }

    public byte[] ToBytes() => Message(m =>
    {
        m.WriteTag(1, WireFormat.WireType.Varint); m.WriteInt64(IrVersion);
        Str(m, 2, Producer);
        if (AddUnknownFields) Unknown(m);
        Sub(m, 7, Message(g =>
        {
            foreach (var n in _nodes) Sub(g, 1, n);
            Str(g, 2, "test-graph");
            foreach (var i in _inits) Sub(g, 5, i);
            foreach (var i in _inputs) Sub(g, 11, i);
            foreach (var i in _outputs) Sub(g, 12, i);
            if (AddUnknownFields) Unknown(g);
        }));
        Sub(m, 8, Message(o => { Str(o, 1, ""); o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(Opset); }));
    });

    public void Save(string path) => File.WriteAllBytes(path, ToBytes());

    private static byte[] ValueInfo(string name, TensorDataType t, object[]? dims) => Message(v =>
    {
        Str(v, 1, name);
        Sub(v, 2, Message(tp => Sub(tp, 1, Message(tt =>
        {
            tt.WriteTag(1, WireFormat.WireType.Varint); tt.WriteInt32((int)t);
            if (dims is not null)
                Sub(tt, 2, Message(sh =>
                {
                    foreach (var d in dims)
                        Sub(sh, 1, Message(dm =>
                        {
                            if (d is string s) Str(dm, 2, s);
                            else { dm.WriteTag(1, WireFormat.WireType.Varint); dm.WriteInt64(Convert.ToInt64(d)); }
                        }));
                }));
        }))));
    });

    private static byte[] Attribute(string name, object value) => Message(a =>
    {
        Str(a, 1, name);
        switch (value)
        {
            case float f: a.WriteTag(2, WireFormat.WireType.Fixed32); a.WriteFloat(f); Type(a, 1); break;
            case int or long: a.WriteTag(3, WireFormat.WireType.Varint); a.WriteInt64(Convert.ToInt64(value)); Type(a, 2); break;
            case string s: a.WriteTag(4, WireFormat.WireType.LengthDelimited); a.WriteBytes(ByteString.CopyFromUtf8(s)); Type(a, 3); break;
            case TestTensor t: Sub(a, 5, t.ToBytes()); Type(a, 4); break;
            case float[] fs: Packed(a, 7, fs.SelectMany(BitConverter.GetBytes).ToArray()); Type(a, 6); break;
            case long[] ls:
                // Unpacked on purpose: ONNX writers emit repeated int64 attributes unpacked.
                foreach (var l in ls) { a.WriteTag(8, WireFormat.WireType.Varint); a.WriteInt64(l); }
                Type(a, 7); break;
            default: throw new ArgumentException($"unsupported attribute value {value.GetType()}");
        }
    });

    private static void Type(CodedOutputStream o, int t) { o.WriteTag(20, WireFormat.WireType.Varint); o.WriteEnum(t); }

    internal static void Unknown(CodedOutputStream o)
    {
        o.WriteTag(900, WireFormat.WireType.Varint); o.WriteInt64(12345);
        o.WriteTag(901, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFromUtf8("ignored"));
        o.WriteTag(902, WireFormat.WireType.Fixed64); o.WriteDouble(1.5);
    }

    internal static void Str(CodedOutputStream o, int field, string s) { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteString(s); }

    internal static void Sub(CodedOutputStream o, int field, byte[] msg) { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(msg)); }

    internal static void Packed(CodedOutputStream o, int field, byte[] payload) { o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(payload)); }

    internal static void PackedVarints(CodedOutputStream o, int field, IEnumerable<long> values)
    {
        Sub(o, field, Message(p => { foreach (var v in values) p.WriteInt64(v); }));
    }

    internal static byte[] Message(Action<CodedOutputStream> body)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true)) { body(o); o.Flush(); }
        return ms.ToArray();
    }
}
