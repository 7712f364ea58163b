// ONNX ModelProto and OperatorSetIdProto read field by field (onnx.proto field numbers). Only what the
// engine uses is kept; every other field is skipped so newer exporters still load.
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

/// <summary>An (domain, version) pair from <c>ModelProto.opset_import</c>; "" is the default ONNX domain.</summary>
internal sealed record OnnxOpsetImport(string Domain, long Version);

/// <summary>The parts of an ONNX <c>ModelProto</c> the engine reads.</summary>
internal sealed class OnnxModelProto
{
    /// <summary>IR version (field 1).</summary>
    public long IrVersion { get; set; }
    /// <summary>Producer name (field 2).</summary>
    public string ProducerName { get; set; } = "";
    /// <summary>Producer version (field 3).</summary>
    public string ProducerVersion { get; set; } = "";
    /// <summary>Opset imports (field 8).</summary>
    public List<OnnxOpsetImport> OpsetImports { get; } = [];
    /// <summary>The main graph (field 7), null when absent.</summary>
    public OnnxGraphProto? Graph { get; set; }

    internal static OnnxModelProto Read(CodedInputStream input)
    {
        var m = new OnnxModelProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: m.IrVersion = input.ReadInt64(); break;
                case 2: m.ProducerName = input.ReadString(); break;
                case 3: m.ProducerVersion = input.ReadString(); break;
                case 7: m.Graph = OnnxWire.ReadMessage(input, OnnxGraphProto.Read); break;
                case 8: m.OpsetImports.Add(OnnxWire.ReadMessage(input, ReadOpset)); break;
                default: input.SkipLastField(); break;
            }
        }
        return m;
    }

    private static OnnxOpsetImport ReadOpset(CodedInputStream input)
    {
        string domain = ""; long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: domain = input.ReadString(); break;
                case 2: version = input.ReadInt64(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxOpsetImport(domain, version);
    }
}
