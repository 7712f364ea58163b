// A node of the graph IR: op type, name, inputs and outputs by value name, typed attributes. Nodes are
// mutable on purpose: optimizer rules rewrite them in place.
namespace GpuSearch.Models.Graph;

/// <summary>
/// One operation. <see cref="Inputs"/> and <see cref="Outputs"/> name <see cref="GraphValue"/>s of the
/// owning <see cref="ModelGraph"/>; an empty input name means an omitted optional input (ONNX convention),
/// e.g. FusedConv inputs <c>[X, W, "", R]</c> have no bias but a residual.
/// </summary>
internal sealed class GraphNode
{
    /// <summary>Op type, e.g. "Conv" or, after fusion, "FusedConv" (see <see cref="FusedOps"/>).</summary>
    public string OpType { get; set; }

    /// <summary>Unique, never-empty node name (the importer invents one when the model has none).</summary>
    public string Name { get; set; }

    /// <summary>Op domain: "" for default ONNX ops, <see cref="FusedOps.Domain"/> for engine-defined ones.</summary>
    public string Domain { get; set; } = "";

    /// <summary>Input value names in operator order; "" for omitted optional inputs.</summary>
    public List<string> Inputs { get; } = [];

    /// <summary>Output value names in operator order.</summary>
    public List<string> Outputs { get; } = [];

    /// <summary>Attributes by name.</summary>
    public Dictionary<string, GraphAttribute> Attributes { get; } = new(StringComparer.Ordinal);

    /// <summary>Creates a node.</summary>
    public GraphNode(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        OpType = opType; Name = name; Inputs.AddRange(inputs); Outputs.AddRange(outputs);
    }

    /// <summary>Input <paramref name="i"/>, or "" when absent.</summary>
    public string Input(int i) => i < Inputs.Count ? Inputs[i] : "";

    /// <summary>True when input <paramref name="i"/> is present (not omitted).</summary>
    public bool HasInput(int i) => Input(i).Length > 0;

    /// <summary>Int attribute or <paramref name="dflt"/>.</summary>
    public long GetInt(string name, long dflt) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == AttributeKind.Int ? a.I : dflt;

    /// <summary>Float attribute or <paramref name="dflt"/>.</summary>
    public float GetFloat(string name, float dflt) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == AttributeKind.Float ? a.F : dflt;

    /// <summary>String attribute or <paramref name="dflt"/>.</summary>
    public string GetString(string name, string dflt) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == AttributeKind.String ? a.S : dflt;

    /// <summary>Ints attribute, or null when absent.</summary>
    public long[]? GetInts(string name) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == AttributeKind.Ints ? a.Ints : null;

    /// <summary>Floats attribute, or null when absent.</summary>
    public float[]? GetFloats(string name) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == AttributeKind.Floats ? a.Floats : null;

    /// <summary>Sets (or replaces) an attribute.</summary>
    public GraphNode Set(string name, GraphAttribute value) { Attributes[name] = value; return this; }

    /// <summary>A short description for error messages: <c>node 'conv1' (Conv)</c>.</summary>
    public string Describe() => $"node '{Name}' ({OpType})";

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {OpType}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}";
}
