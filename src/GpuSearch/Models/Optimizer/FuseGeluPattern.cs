// Collapses the exact-GELU expansion torch exports, y = Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5), into one
// Gelu node so activation fusion (or the executor) sees a single op. Div by √2 may also appear as Mul by 1/√2,
// and the 0.5 may be applied to x first (Mul(Mul(x, 0.5), Add(...))).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Erf-based GELU subgraph becomes a Gelu node.</summary>
internal sealed class FuseGeluPattern : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseGeluPattern";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        foreach (var erf in g.Nodes)
        {
            if (erf.OpType != "Erf") continue;
            // scale: Div(x, √2) or Mul(x, 1/√2)
            if (!producers.TryGetValue(erf.Inputs[0], out var scale) || RuleHelpers.SoleConsumer(g, scale.Outputs[0], consumers) != erf) continue;
            string? x = MatchScaled(g, scale, MathF.Sqrt(2));
            if (x is null) continue;
            if (RuleHelpers.SoleConsumer(g, erf.Outputs[0], consumers) is not { OpType: "Add" } add) continue;
            if (OtherScalar(g, add, erf.Outputs[0]) is not 1f) continue;
            if (RuleHelpers.SoleConsumer(g, add.Outputs[0], consumers) is not { OpType: "Mul" } m1) continue;
            string other1 = m1.Inputs[0] == add.Outputs[0] ? m1.Inputs[1] : m1.Inputs[0];
            var remove = new List<GraphNode> { scale, erf, add };
            GraphNode last;
            if (other1 == x)
            {
                // (x · (1 + erf)) · 0.5
                if (RuleHelpers.SoleConsumer(g, m1.Outputs[0], consumers) is not { OpType: "Mul" } m2 || OtherScalar(g, m2, m1.Outputs[0]) is not 0.5f) continue;
                remove.Add(m1); last = m2;
            }
            else if (producers.TryGetValue(other1, out var half) && half.OpType == "Mul" && RuleHelpers.SoleConsumer(g, other1, consumers) == m1
                     && OtherScalar(g, half, x) is 0.5f && half.Inputs.Contains(x))
            {
                // (x · 0.5) · (1 + erf)
                remove.Add(half); last = m1;
            }
            else continue;
            var gelu = new GraphNode("Gelu", g.NewName(last.Name + "_gelu"), [x], [last.Outputs[0]]);
            foreach (var r in remove) { g.Nodes.Remove(r); g.Values.Remove(r.Outputs[0]); }
            g.Nodes[g.Nodes.IndexOf(last)] = gelu;
            return true;
        }
        return false;
    }

    /// <summary>If <paramref name="n"/> is Div(x, c) or Mul(x, 1/c) with the given c, returns x.</summary>
    private static string? MatchScaled(ModelGraph g, GraphNode n, float c)
    {
        if (n.Inputs.Count != 2) return null;
        if (n.OpType == "Div" && RuleHelpers.Scalar(g, n.Inputs[1]) is { } d && MathF.Abs(d - c) < 1e-3f) return n.Inputs[0];
        if (n.OpType == "Mul")
            for (int i = 0; i < 2; i++)
                if (RuleHelpers.Scalar(g, n.Inputs[i]) is { } k && MathF.Abs(k - 1 / c) < 1e-3f) return n.Inputs[1 - i];
        return null;
    }

    /// <summary>The scalar constant on the other side of a binary node from <paramref name="value"/>.</summary>
    private static float? OtherScalar(ModelGraph g, GraphNode n, string value)
    {
        if (n.Inputs.Count != 2) return null;
        var other = n.Inputs[0] == value ? n.Inputs[1] : n.Inputs[1] == value ? n.Inputs[0] : null;
        return other is null ? null : RuleHelpers.Scalar(g, other);
    }
}
