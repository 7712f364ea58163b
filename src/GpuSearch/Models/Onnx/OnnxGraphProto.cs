// ONNX GraphProto read field by field: nodes, initializers, inputs, outputs, value_info.
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

/// <summary>The parts of an ONNX <c>GraphProto</c> the engine reads.</summary>
internal sealed class OnnxGraphProto
{
    /// <summary>Graph name (field 2).</summary>
    public string Name { get; set; } = "";
    /// <summary>Nodes in file order (field 1).</summary>
    public List<OnnxNodeProto> Nodes { get; } = [];
    /// <summary>Initializers (field 5).</summary>
    public List<OnnxTensorProto> Initializers { get; } = [];
    /// <summary>Graph inputs (field 11); before IR 4 these also list initializers.</summary>
    public List<OnnxValueInfoProto> Inputs { get; } = [];
    /// <summary>Graph outputs (field 12).</summary>
    public List<OnnxValueInfoProto> Outputs { get; } = [];
    /// <summary>Intermediate value types (field 13).</summary>
    public List<OnnxValueInfoProto> ValueInfo { get; } = [];

    internal static OnnxGraphProto Read(CodedInputStream input)
    {
        var g = new OnnxGraphProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: g.Nodes.Add(OnnxWire.ReadMessage(input, OnnxNodeProto.Read)); break;
                case 2: g.Name = input.ReadString(); break;
                case 5: g.Initializers.Add(OnnxWire.ReadMessage(input, OnnxTensorProto.Read)); break;
                case 11: g.Inputs.Add(OnnxWire.ReadMessage(input, OnnxValueInfoProto.Read)); break;
                case 12: g.Outputs.Add(OnnxWire.ReadMessage(input, OnnxValueInfoProto.Read)); break;
                case 13: g.ValueInfo.Add(OnnxWire.ReadMessage(input, OnnxValueInfoProto.Read)); break;
                default: input.SkipLastField(); break;
            }
        }
        return g;
    }
}
