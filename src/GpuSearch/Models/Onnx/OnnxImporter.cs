// Converts the wire-level OnnxModelProto into the graph IR: decodes initializers (with size checks and
// external-data containment), copies declared types/shapes, names unnamed nodes, and drops initializers
// from the input list (IR < 4 models list them as inputs too).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Onnx;

/// <summary>Builds a <see cref="ModelGraph"/> from ONNX.</summary>
internal static class OnnxImporter
{
    /// <summary>Most nodes a graph may hold. Real CNNs and ViTs have hundreds to a few tens of thousands; a
    /// larger graph is refused at load instead of spending minutes in validation and optimisation.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>Reads, version-checks and imports a model file. External data resolves only inside its folder.</summary>
    public static ModelGraph LoadFile(string path)
    {
        var proto = OnnxModelReader.ReadFile(path);
        return Import(proto, Path.GetDirectoryName(Path.GetFullPath(path)), Path.GetFileName(path));
    }

    /// <summary>Imports parsed model bytes (no external data allowed).</summary>
    public static ModelGraph LoadBytes(byte[] bytes, string label = "model") =>
        Import(OnnxModelReader.Parse(bytes, label), null, label);

    /// <summary>Imports a parsed model; <paramref name="modelDir"/> anchors external data (null forbids it).</summary>
    public static ModelGraph Import(OnnxModelProto proto, string? modelDir, string label = "model")
    {
        var gp = proto.Graph ?? throw new InvalidDataException($"{label}: model has no graph");
        if (gp.Nodes.Count > MaxNodes)
            throw new InvalidDataException($"{label}: the graph has {gp.Nodes.Count} nodes, over the limit of {MaxNodes}");
        var g = new ModelGraph
        {
            Name = gp.Name,
            Opset = OnnxModelReader.DefaultOpset(proto),
            IrVersion = proto.IrVersion,
            Producer = (proto.ProducerName + " " + proto.ProducerVersion).Trim(),
        };
        foreach (var init in gp.Initializers)
        {
            if (init.Name.Length == 0) throw new InvalidDataException($"{label}: an initializer has no name");
            var v = g.GetOrAddValue(init.Name);
            v.SetConstant(OnnxTensorDecoder.Decode(init, modelDir, "initializer"));
        }
        foreach (var vi in gp.Inputs.Concat(gp.ValueInfo).Concat(gp.Outputs))
        {
            var v = g.GetOrAddValue(vi.Name);
            if (v.IsConstant) continue; // the initializer's own dims win over a declared type
            if (vi.ElemType != TensorDataType.Undefined) v.DataType = vi.ElemType;
            if (vi.Shape is not null) v.Shape = vi.Shape;
        }
        foreach (var vi in gp.Inputs)
            if (!g.Values[vi.Name].IsConstant) g.Inputs.Add(vi.Name);
        foreach (var vi in gp.Outputs) g.Outputs.Add(vi.Name);

        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var np in gp.Nodes)
        {
            // Unnamed or duplicate names get a stable synthetic one: errors must name a node the user can find.
            string name = np.Name.Length > 0 && !usedNames.Contains(np.Name) ? np.Name : $"{np.OpType}_{index}";
            while (!usedNames.Add(name)) name += "_";
            index++;
            var node = new GraphNode(np.OpType, name, np.Inputs, np.Outputs) { Domain = np.Domain == "ai.onnx" ? "" : np.Domain };
            foreach (var a in np.Attributes) node.Attributes[a.Name] = Convert(a, node, modelDir);
            foreach (var i in np.Inputs) if (i.Length > 0) g.GetOrAddValue(i);
            foreach (var o in np.Outputs) if (o.Length > 0) g.GetOrAddValue(o);
            g.Nodes.Add(node);
        }
        return g;
    }

    private static GraphAttribute Convert(OnnxAttributeProto a, GraphNode node, string? modelDir) => a.EffectiveType switch
    {
        OnnxAttributeType.Float => GraphAttribute.Of(a.F),
        OnnxAttributeType.Int => GraphAttribute.Of(a.I),
        OnnxAttributeType.String => GraphAttribute.Of(a.S),
        OnnxAttributeType.Tensor => GraphAttribute.Of(OnnxTensorDecoder.Decode(
            a.T ?? throw new InvalidDataException($"{node.Describe()}: attribute '{a.Name}' is declared a tensor but has none"),
            modelDir, $"{node.Describe()} attribute '{a.Name}' tensor")),
        OnnxAttributeType.Floats => GraphAttribute.Of(a.Floats.ToArray()),
        OnnxAttributeType.Ints => GraphAttribute.Of(a.Ints.ToArray()),
        OnnxAttributeType.Strings => new GraphAttribute { Kind = AttributeKind.Strings, Strings = a.Strings.ToArray() },
        // An empty list has no field present and type may be unset: treat it as an empty int list.
        OnnxAttributeType.Undefined => GraphAttribute.Of(Array.Empty<long>()),
        _ => new GraphAttribute { Kind = AttributeKind.Unsupported, S = a.EffectiveType.ToString() },
    };
}
