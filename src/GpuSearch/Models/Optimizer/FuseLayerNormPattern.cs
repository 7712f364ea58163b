// Before opset 17 torch exports LayerNorm as arithmetic: m = ReduceMean(x); d = x − m; v = ReduceMean(d^2);
// y = d / Sqrt(v + eps) · gamma + beta. This rule collapses that subgraph into one LayerNormalization node
// (the executor then needs one kernel, not nine), when the reduced axes are the trailing ones.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Decomposed layer normalisation becomes LayerNormalization(x, gamma, beta).</summary>
internal sealed class FuseLayerNormPattern : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseLayerNormPattern";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var m1 in g.Nodes)
        {
            if (m1.OpType != "ReduceMean" || m1.GetInt("keepdims", 1) == 0) continue;
            string x = m1.Inputs[0];
            var xs = g.Value(x).Shape;
            if (xs is null || AxesOf(g, m1) is not { } axes) continue;
            int first = TrailingAxis(axes, xs.Rank);
            if (first < 0) continue;
            if (RuleHelpers.SoleConsumer(g, m1.Outputs[0], consumers) is not { OpType: "Sub" } sub || sub.Inputs[0] != x || sub.Inputs[1] != m1.Outputs[0]) continue;
            string d = sub.Outputs[0];
            if (g.IsGraphOutput(d) || !consumers.TryGetValue(d, out var dUsers) || dUsers.Count != 2) continue;
            var pow = dUsers.FirstOrDefault(u => u.OpType == "Pow" && u.Inputs[0] == d && RuleHelpers.Scalar(g, u.Inputs[1]) == 2f);
            var div = dUsers.FirstOrDefault(u => u.OpType == "Div" && u.Inputs[0] == d);
            if (pow is null || div is null) continue;
            if (RuleHelpers.SoleConsumer(g, pow.Outputs[0], consumers) is not { OpType: "ReduceMean" } m2 || m2.GetInt("keepdims", 1) == 0
                || AxesOf(g, m2) is not { } axes2 || TrailingAxis(axes2, xs.Rank) != first) continue;
            if (RuleHelpers.SoleConsumer(g, m2.Outputs[0], consumers) is not { OpType: "Add" } addEps) continue;
            var epsName = addEps.Inputs[0] == m2.Outputs[0] ? addEps.Inputs[1] : addEps.Inputs[0];
            if (RuleHelpers.Scalar(g, epsName) is not { } eps) continue;
            if (RuleHelpers.SoleConsumer(g, addEps.Outputs[0], consumers) is not { OpType: "Sqrt" } sqrt) continue;
            if (RuleHelpers.SoleConsumer(g, sqrt.Outputs[0], consumers) != div || div.Inputs[1] != sqrt.Outputs[0]) continue;

            var remove = new List<GraphNode> { m1, sub, pow, m2, addEps, sqrt, div };
            long normSize = xs.Dims.Skip(first).All(v => v.IsKnown) ? new TensorShape(xs.Dims.Skip(first)).KnownProduct() : -1;
            if (normSize < 0) continue;
            GraphNode last = div;
            string gamma, beta = "";
            if (Affine(g, last, "Mul", normSize, consumers) is { } mul) { remove.Add(mul.node); last = mul.node; gamma = mul.constant; }
            else gamma = g.AddConstant(div.Name + "_gamma", ConstTensor.FromFloats(xs.Dims.Skip(first).Select(v => v.Value).ToArray(), Enumerable.Repeat(1f, (int)normSize).ToArray()));
            if (Affine(g, last, "Add", normSize, consumers) is { } add) { remove.Add(add.node); last = add.node; beta = add.constant; }

            var ln = new GraphNode("LayerNormalization", g.NewName(m1.Name + "_layernorm"), beta.Length > 0 ? [x, gamma, beta] : [x, gamma], [last.Outputs[0]]);
            ln.Set("axis", GraphAttribute.Of((long)first)).Set("epsilon", GraphAttribute.Of(eps));
            g.Nodes[g.Nodes.IndexOf(last)] = ln;
            foreach (var r in remove.Where(r => r != last)) { g.Nodes.Remove(r); g.Values.Remove(r.Outputs[0]); }
            return true;
        }
        return false;
    }

    /// <summary>The node after <paramref name="prev"/> if it is op(prev, constant of <paramref name="size"/> elements).</summary>
    private static (GraphNode node, string constant)? Affine(ModelGraph g, GraphNode prev, string op, long size, Dictionary<string, List<GraphNode>> consumers)
    {
        if (RuleHelpers.SoleConsumer(g, prev.Outputs[0], consumers) is not { } n || n.OpType != op || n.Inputs.Count != 2) return null;
        var other = n.Inputs[0] == prev.Outputs[0] ? n.Inputs[1] : n.Inputs[0];
        return g.ConstantOf(other) is { } c && c.ElementCount == size && c.IsFloating ? (n, other) : null;
    }

    private static long[]? AxesOf(ModelGraph g, GraphNode n) =>
        n.GetInts("axes") ?? (n.HasInput(1) ? g.ConstantOf(n.Inputs[1])?.ToLongs() : null);

    /// <summary>First axis when <paramref name="axes"/> are exactly the trailing axes of a rank-r tensor, else -1.</summary>
    private static int TrailingAxis(long[] axes, int r)
    {
        var norm = axes.Select(a => a < 0 ? a + r : a).Order().ToArray();
        if (norm.Length == 0 || norm[^1] != r - 1) return -1;
        for (int i = 1; i < norm.Length; i++) if (norm[i] != norm[i - 1] + 1) return -1;
        return (int)norm[0];
    }
}
