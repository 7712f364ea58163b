// ONNX AttributeProto read field by field. Graph-valued attributes (If/Loop bodies) are skipped: the
// validator rejects the ops that carry them, naming the node.
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

/// <summary>ONNX <c>AttributeProto.AttributeType</c> codes.</summary>
internal enum OnnxAttributeType
{
    /// <summary>Unset (old exporters); the type is inferred from the field present.</summary>
    Undefined = 0,
    /// <summary>float f.</summary>
    Float = 1,
    /// <summary>int64 i.</summary>
    Int = 2,
    /// <summary>bytes s.</summary>
    String = 3,
    /// <summary>TensorProto t.</summary>
    Tensor = 4,
    /// <summary>GraphProto g (not read).</summary>
    Graph = 5,
    /// <summary>repeated float.</summary>
    Floats = 6,
    /// <summary>repeated int64.</summary>
    Ints = 7,
    /// <summary>repeated bytes.</summary>
    Strings = 8,
    /// <summary>repeated TensorProto (not read).</summary>
    Tensors = 9,
    /// <summary>repeated GraphProto (not read).</summary>
    Graphs = 10,
    /// <summary>SparseTensorProto (not read).</summary>
    SparseTensor = 11,
}

/// <summary>The parts of an ONNX <c>AttributeProto</c> the engine reads.</summary>
internal sealed class OnnxAttributeProto
{
    /// <summary>Attribute name (field 1).</summary>
    public string Name { get; set; } = "";
    /// <summary>Declared type (field 20); <see cref="OnnxAttributeType.Undefined"/> when the exporter left it out.</summary>
    public OnnxAttributeType Type { get; set; }
    /// <summary>Field 2.</summary>
    public float F { get; set; }
    /// <summary>Field 3.</summary>
    public long I { get; set; }
    /// <summary>Field 4, decoded as UTF-8.</summary>
    public string S { get; set; } = "";
    /// <summary>Field 5.</summary>
    public OnnxTensorProto? T { get; set; }
    /// <summary>Field 7.</summary>
    public List<float> Floats { get; } = [];
    /// <summary>Field 8.</summary>
    public List<long> Ints { get; } = [];
    /// <summary>Field 9.</summary>
    public List<string> Strings { get; } = [];
    /// <summary>Which value fields were present, to infer <see cref="Type"/> when it is undefined.</summary>
    internal OnnxAttributeType SeenType { get; private set; }

    /// <summary>The declared type, or the type of the field that was present.</summary>
    public OnnxAttributeType EffectiveType => Type != OnnxAttributeType.Undefined ? Type : SeenType;

    internal static OnnxAttributeProto Read(CodedInputStream input)
    {
        var a = new OnnxAttributeProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: a.Name = input.ReadString(); break;
                case 2: a.F = input.ReadFloat(); a.SeenType = OnnxAttributeType.Float; break;
                case 3: a.I = input.ReadInt64(); a.SeenType = OnnxAttributeType.Int; break;
                case 4: a.S = input.ReadBytes().ToStringUtf8(); a.SeenType = OnnxAttributeType.String; break;
                case 5: a.T = OnnxWire.ReadMessage(input, OnnxTensorProto.Read); a.SeenType = OnnxAttributeType.Tensor; break;
                case 6: input.SkipLastField(); a.SeenType = OnnxAttributeType.Graph; break;
                case 7: OnnxWire.ReadFloats(input, tag, a.Floats); a.SeenType = OnnxAttributeType.Floats; break;
                case 8: OnnxWire.ReadInt64s(input, tag, a.Ints); a.SeenType = OnnxAttributeType.Ints; break;
                case 9: a.Strings.Add(input.ReadBytes().ToStringUtf8()); a.SeenType = OnnxAttributeType.Strings; break;
                case 20: a.Type = (OnnxAttributeType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return a;
    }
}
