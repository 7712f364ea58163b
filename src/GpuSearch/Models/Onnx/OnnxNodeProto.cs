// ONNX NodeProto read field by field. Empty input names mean "optional input omitted" (ONNX convention).
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

/// <summary>The parts of an ONNX <c>NodeProto</c> the engine reads.</summary>
internal sealed class OnnxNodeProto
{
    /// <summary>Input value names (field 1); "" marks an omitted optional input.</summary>
    public List<string> Inputs { get; } = [];
    /// <summary>Output value names (field 2).</summary>
    public List<string> Outputs { get; } = [];
    /// <summary>Node name (field 3), may be empty.</summary>
    public string Name { get; set; } = "";
    /// <summary>Operator type (field 4).</summary>
    public string OpType { get; set; } = "";
    /// <summary>Operator domain (field 7); "" or "ai.onnx" is the default domain.</summary>
    public string Domain { get; set; } = "";
    /// <summary>Attributes (field 5).</summary>
    public List<OnnxAttributeProto> Attributes { get; } = [];

    internal static OnnxNodeProto Read(CodedInputStream input)
    {
        var n = new OnnxNodeProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: n.Inputs.Add(input.ReadString()); break;
                case 2: n.Outputs.Add(input.ReadString()); break;
                case 3: n.Name = input.ReadString(); break;
                case 4: n.OpType = input.ReadString(); break;
                case 5: n.Attributes.Add(OnnxWire.ReadMessage(input, OnnxAttributeProto.Read)); break;
                case 7: n.Domain = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return n;
    }
}
