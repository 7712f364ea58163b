// ONNX ValueInfoProto with its TypeProto.Tensor and TensorShapeProto flattened: element type plus a shape
// whose dimensions are dim_value or dim_param. Non-tensor types (sequences, maps) leave ElemType undefined.
using Google.Protobuf;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Onnx;

/// <summary>A named value's declared type: tensor element type and (optionally) shape.</summary>
internal sealed class OnnxValueInfoProto
{
    /// <summary>Value name (field 1).</summary>
    public string Name { get; set; } = "";
    /// <summary>TypeProto.Tensor.elem_type; Undefined when absent or not a tensor type.</summary>
    public TensorDataType ElemType { get; set; }
    /// <summary>Shape; null when the type carries no shape (rank unknown).</summary>
    public TensorShape? Shape { get; set; }
    /// <summary>True when the TypeProto was a tensor type.</summary>
    public bool IsTensor { get; set; }

    internal static OnnxValueInfoProto Read(CodedInputStream input)
    {
        var v = new OnnxValueInfoProto();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: v.Name = input.ReadString(); break;
                case 2: OnnxWire.ReadMessage(input, s => ReadType(s, v)); break;
                default: input.SkipLastField(); break;
            }
        }
        return v;
    }

    private static bool ReadType(CodedInputStream input, OnnxValueInfoProto v)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (OnnxWire.Field(tag) == 1) { v.IsTensor = true; OnnxWire.ReadMessage(input, s => ReadTensorType(s, v)); }
            else input.SkipLastField();
        }
        return true;
    }

    private static bool ReadTensorType(CodedInputStream input, OnnxValueInfoProto v)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: v.ElemType = (TensorDataType)input.ReadInt32(); break;
                case 2: v.Shape = OnnxWire.ReadMessage(input, ReadShape); break;
                default: input.SkipLastField(); break;
            }
        }
        return true;
    }

    private static TensorShape ReadShape(CodedInputStream input)
    {
        var dims = new List<Dim>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (OnnxWire.Field(tag) == 1) dims.Add(OnnxWire.ReadMessage(input, ReadDim));
            else input.SkipLastField();
        }
        return new TensorShape(dims);
    }

    private static Dim ReadDim(CodedInputStream input)
    {
        long? value = null; string? param = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (OnnxWire.Field(tag))
            {
                case 1: value = input.ReadInt64(); break;
                case 2: param = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        // A dimension with neither field (or a negative value, which some exporters write) is unknown.
        return value is >= 0 ? Dim.Known(value.Value) : Dim.Symbolic(param ?? "?");
    }
}
