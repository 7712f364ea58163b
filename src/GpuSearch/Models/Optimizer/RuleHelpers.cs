// Small graph queries and edits shared by several rules: single-consumer checks, residual Adds an epilogue can take, scalar constants, turning
// a Conv into a FusedConv with every attribute made explicit.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

internal static class RuleHelpers
{
    /// <summary>
    /// The first Add(p, r) where p comes from a node <paramref name="accepts"/> takes and feeds only that Add, and r
    /// is a runtime tensor of exactly p's shape: epilogues add a residual element for element, they do not broadcast.
    /// </summary>
    public static (GraphNode Producer, GraphNode Add, string Residual)? FindResidualAdd(ModelGraph g, Func<GraphNode, bool> accepts)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        foreach (var add in g.Nodes)
        {
            if (add.OpType != "Add" || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1]) continue;
            for (int side = 0; side < 2; side++)
            {
                string product = add.Inputs[side], other = add.Inputs[1 - side];
                if (!producers.TryGetValue(product, out var p) || !accepts(p)) continue;
                if (SoleConsumer(g, product, consumers) != add) continue;
                var ps = g.Value(product).Shape; var os = g.Value(other).Shape;
                if (ps is null || os is null || !ps.Equals(os) || g.ConstantOf(other) is not null) continue;
                return (p, add, other);
            }
        }
        return null;
    }

    /// <summary>The only consumer of <paramref name="value"/>, or null when it has several, none, or is a graph output.</summary>
    public static GraphNode? SoleConsumer(ModelGraph g, string value, Dictionary<string, List<GraphNode>> consumers)
    {
        if (g.IsGraphOutput(value)) return null;
        return consumers.TryGetValue(value, out var l) && l.Count == 1 ? l[0] : null;
    }

    /// <summary>Scalar value of a constant input (any rank, exactly one element), else null.</summary>
    public static float? Scalar(ModelGraph g, string value) =>
        g.ConstantOf(value) is { ElementCount: 1 } c ? (float)c.GetDouble(0) : null;

    /// <summary>True for Conv and FusedConv.</summary>
    public static bool IsConv(GraphNode n) => n.OpType is "Conv" or FusedOps.FusedConv;

    /// <summary>True for a conv whose epilogue is still empty (no activation, no residual).</summary>
    public static bool HasEmptyEpilogue(GraphNode n) =>
        n.OpType == "Conv" || (n.OpType == FusedOps.FusedConv && FusedOps.ActivationOf(n) == "None" && !n.HasInput(FusedOps.ResidualInput));

    /// <summary>Converts a Conv to FusedConv in place (no-op for FusedConv), resolving auto_pad and defaults.</summary>
    public static void MakeFused(ModelGraph g, GraphNode n)
    {
        if (n.OpType == FusedOps.FusedConv) return;
        var x = g.Value(n.Inputs[0]).Shape;
        var w = g.Value(n.Inputs[1]).Shape ?? throw new InvalidDataException($"{n.Describe()}: weight shape unknown");
        var kernel = n.GetInts("kernel_shape") ?? w.Dims.Skip(2).Select(d => d.Value).ToArray();
        var spatial = x is null ? Enumerable.Repeat(-1L, kernel.Length).ToArray() : x.Dims.Skip(2).Select(d => d.IsKnown ? d.Value : -1L).ToArray();
        var autoPad = n.GetString("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER" && spatial.Any(s => s < 0))
            throw new NotSupportedException($"{n.Describe()}: auto_pad {autoPad} needs known spatial input sizes");
        var geo = ConvGeometry.Resolve(n, spatial, kernel);
        long group = n.GetInt("group", 1);
        n.Attributes.Clear();
        n.Set("kernel_shape", GraphAttribute.Of(geo.Kernel)).Set("strides", GraphAttribute.Of(geo.Strides))
         .Set("dilations", GraphAttribute.Of(geo.Dilations)).Set("pads", GraphAttribute.Of(geo.Pads))
         .Set("group", GraphAttribute.Of(group)).Set(FusedOps.ActivationAttr, GraphAttribute.Of("None"))
         .Set(FusedOps.AlphaAttr, GraphAttribute.Of(0f)).Set(FusedOps.BetaAttr, GraphAttribute.Of(0f));
        n.OpType = FusedOps.FusedConv;
        n.Domain = FusedOps.Domain;
        while (n.Inputs.Count < 3) n.Inputs.Add("");
    }

    /// <summary>Sets a fused node's activation epilogue.</summary>
    public static void SetActivation(GraphNode n, string activation, float alpha = 0, float beta = 0)
    {
        n.Set(FusedOps.ActivationAttr, GraphAttribute.Of(activation))
         .Set(FusedOps.AlphaAttr, GraphAttribute.Of(alpha)).Set(FusedOps.BetaAttr, GraphAttribute.Of(beta));
    }

    /// <summary>
    /// Makes <paramref name="keeper"/> produce <paramref name="replaced"/>'s output (so the graph output name, if
    /// any, survives) and removes <paramref name="replaced"/>. Used when fusing a consumer into its producer.
    /// </summary>
    public static void Absorb(ModelGraph g, GraphNode keeper, int keeperOutput, GraphNode replaced)
    {
        var oldName = keeper.Outputs[keeperOutput];
        var newName = replaced.Outputs[0];
        keeper.Outputs[keeperOutput] = newName;
        g.Nodes.Remove(replaced);
        g.Values.Remove(oldName);
        foreach (var extra in replaced.Outputs.Skip(1)) if (extra.Length > 0) g.Values.Remove(extra);
    }

    /// <summary>
    /// Recognises a standalone activation node usable as a fused epilogue:
    /// returns (name, alpha, beta) or null. Clip bounds must be constant scalars (inputs from opset 11).
    /// </summary>
    public static (string act, float alpha, float beta)? ActivationOf(ModelGraph g, GraphNode a, long opset)
    {
        switch (a.OpType)
        {
            case "Relu": return ("Relu", 0, 0);
            case "Sigmoid": return ("Sigmoid", 0, 0);
            case "Tanh": return ("Tanh", 0, 0);
            case "HardSwish": return ("HardSwish", 0, 0);
            case "LeakyRelu": return ("LeakyRelu", a.GetFloat("alpha", 0.01f), 0);
            case "HardSigmoid": return ("HardSigmoid", a.GetFloat("alpha", 0.2f), a.GetFloat("beta", 0.5f));
            case "Gelu" when a.GetString("approximate", "none") == "none": return ("Gelu", 0, 0);
            case "Gelu" when a.GetString("approximate", "none") == "tanh": return ("GeluTanh", 0, 0);
            case "Clip":
                if (opset < 11 || a.Attributes.ContainsKey("min") || a.Attributes.ContainsKey("max"))
                    return ("Clip", a.GetFloat("min", float.NegativeInfinity), a.GetFloat("max", float.PositiveInfinity));
                float? lo = a.HasInput(1) ? Scalar(g, a.Inputs[1]) : float.NegativeInfinity;
                float? hi = a.HasInput(2) ? Scalar(g, a.Inputs[2]) : float.PositiveInfinity;
                return lo is null || hi is null ? null : ("Clip", lo.Value, hi.Value);
            default: return null;
        }
    }
}
