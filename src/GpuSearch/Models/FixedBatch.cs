// Older exports (CNTK, early tf2onnx, ML.NET's featurizers) fix the batch at 1: input [1,3,224,224], output
// [1,512,1,1]. The engine plans batches of any size, so at load time the leading 1 becomes the symbolic batch
// where the graph allows it. Shape inference is the judge: after the rewrite every float value computed from
// the input must still carry the batch first, else the node that loses it is named and the model stays fixed.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

/// <summary>Frees a fixed batch of 1 at load time (see <see cref="TryFree"/>).</summary>
internal static class FixedBatch
{
    /// <summary>The symbol the freed batch dimension gets.</summary>
    public const string Symbol = "N";

    private static readonly Dim Batch = Dim.Symbolic(Symbol);

    /// <summary>
    /// When every runtime input is <c>[1, ...]</c>, makes that leading 1 the symbolic batch <see cref="Symbol"/>,
    /// rewrites Reshape targets that spell the batch as 1 (or as a -1 that can only mean the batch) into 0 ("copy
    /// the batch"), and checks with shape inference that the batch stays the first dimension of every float value
    /// computed from an input and of every output. Returns null when the batch was freed or there was nothing to
    /// free; otherwise undoes its edits and returns why, naming the node. Call before shape inference proper.
    /// </summary>
    public static string? TryFree(ModelGraph g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var inputs = g.Inputs.Where(n => g.ConstantOf(n) is null).Select(g.Value).ToList();
        if (inputs.Count == 0 || inputs.Any(v => v.Shape is not { Rank: > 0 } s || !s[0].IsKnown || s[0].Value != 1)) return null;

        var savedShapes = inputs.ToDictionary(v => v, v => v.Shape!);
        var savedInputs = new List<(GraphNode Node, string Target)>();
        foreach (var v in inputs) v.Shape = new TensorShape(v.Shape!.Dims.Skip(1).Prepend(Batch));
        string? why;
        try { why = RewriteAndCheck(g, savedInputs); }
        catch (InvalidDataException e) { why = e.Message; }
        if (why is null) return null;

        foreach (var (v, s) in savedShapes) v.Shape = s;
        foreach (var (node, target) in savedInputs) node.Inputs[1] = target;
        return $"the fixed batch of 1 cannot be freed: {why}";
    }

    private static string? RewriteAndCheck(ModelGraph g, List<(GraphNode Node, string Target)> saved)
    {
        // A rewritten Reshape can make a later Reshape's input batched, so repeat until nothing changes.
        for (int round = 0; round <= g.Nodes.Count; round++)
        {
            ShapeInference.Run(g);
            bool changed = false;
            foreach (var n in g.Nodes)
                if (n.OpType == "Reshape" && IsBatched(g, n.Input(0)) && RewriteReshape(g, n, saved)) changed = true;
            if (!changed) break;
        }
        foreach (var n in g.Nodes)
        {
            if (!n.Inputs.Any(i => IsBatched(g, i))) continue;
            if (n.OpType is "Softmax" or "LogSoftmax" or "Hardmax" && AxisIsBatch(g, n))
                return $"{n.Describe()} normalises across the batch axis";
            if (n.OpType is "Shape" or "Size") continue;
            foreach (var o in n.Outputs)
            {
                if (o.Length == 0 || !g.Values.TryGetValue(o, out var v) || !v.DataType.IsFloating()) continue;
                if (!IsBatched(g, o))
                    return $"{n.Describe()} turns the batch into output '{o}' of shape {v.Shape?.ToString() ?? "unknown"} (the batch must stay the first dimension)";
            }
        }
        foreach (var o in g.Outputs)
            if (!IsBatched(g, o))
                return $"graph output '{o}' has shape {g.Value(o).Shape?.ToString() ?? "unknown"}, not [{Symbol}, ...]";
        return null;
    }

    private static bool IsBatched(ModelGraph g, string name) =>
        name.Length > 0 && g.Values.TryGetValue(name, out var v) && !v.IsConstant && v.Shape is { Rank: > 0 } s && s[0] == Batch;

    // Softmax before opset 13 flattens from `axis` on, so axis 0 spans the batch; from 13 it is one axis.
    private static bool AxisIsBatch(ModelGraph g, GraphNode n)
    {
        var rank = g.Value(n.Inputs[0]).Shape!.Rank;
        long axis = n.GetInt("axis", g.Opset >= 13 ? -1 : 1);
        return (axis < 0 ? axis + rank : axis) == 0;
    }

    // Target [1, ...] → [0, ...]; [-1, ...] → [0, ...] when the -1 could only have meant 1 (the other target
    // dims hold exactly the input's non-batch elements). Either way the result equals the original at batch 1.
    private static bool RewriteReshape(ModelGraph g, GraphNode n, List<(GraphNode, string)> saved)
    {
        if (n.GetInt("allowzero", 0) != 0 || g.ConstantOf(n.Input(1)) is not { } t || t.ElementCount < 2) return false;
        var target = t.ToLongs();
        if (target[0] == -1)
        {
            var x = g.Value(n.Inputs[0]).Shape!;
            if (target.Skip(1).Any(d => d <= 0) || x.Dims.Skip(1).Any(d => !d.IsKnown)) return false;
            long rest = 1; foreach (var d in x.Dims.Skip(1)) rest *= d.Value;
            long wanted = 1; foreach (var d in target.Skip(1)) wanted *= d;
            if (rest != wanted) return false;
        }
        else if (target[0] != 1) return false;
        target[0] = 0;
        saved.Add((n, n.Inputs[1]));
        n.Inputs[1] = g.AddConstant(n.Name + "_batch_shape", ConstTensor.FromLongs(t.Dims, target, t.DataType));
        return true;
    }
}
