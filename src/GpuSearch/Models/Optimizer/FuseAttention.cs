// Scaled-dot-product attention as exports write it — MatMul(Q, Kᵀ) [× or ÷ a scalar] → Softmax(last axis) →
// MatMul(·, V) — becomes one FusedAttention node, whose kernel keeps the scores in local memory (an online
// softmax over key tiles) instead of writing [batch, L, S] scores to global memory and reading them twice.
// A scale applied to Q before the product (torch's MultiheadAttention) stays its own node.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>MatMul → [scale] → Softmax → MatMul becomes FusedAttention(A, B, V) with attribute scale, and perm_b when B is a Transpose read in place.</summary>
internal sealed class FuseAttention : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseAttention";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        foreach (var sm in g.Nodes)
        {
            if (sm.OpType != "Softmax" || !LastAxis(g, sm)) continue;
            if (RuleHelpers.SoleConsumer(g, sm.Outputs[0], consumers) is not { OpType: "MatMul" } av || av.Inputs[0] != sm.Outputs[0]) continue;
            if (!producers.TryGetValue(sm.Input(0), out var p)) continue;
            float scale = 1f;
            GraphNode? scaleNode = null;
            if (p.OpType is "Mul" or "Div" && p.Inputs.Count == 2)
            {
                int data = p.OpType == "Div" || g.ConstantOf(p.Inputs[1]) is not null ? 0 : 1;
                if (RuleHelpers.Scalar(g, p.Inputs[1 - data]) is not { } c || c == 0 || !float.IsFinite(c)) continue;
                if (RuleHelpers.SoleConsumer(g, p.Outputs[0], consumers) != sm) continue;
                scale = p.OpType == "Div" ? 1f / c : c;
                scaleNode = p;
                if (!producers.TryGetValue(p.Inputs[data], out p)) continue;
            }
            if (p.OpType != "MatMul" || RuleHelpers.SoleConsumer(g, p.Outputs[0], consumers) != (scaleNode ?? sm)) continue;
            if (!RankAtLeast2(g, p.Inputs[0]) || !RankAtLeast2(g, p.Inputs[1]) || !RankAtLeast2(g, av.Inputs[1])) continue;

            // Kᵀ made by a Transpose used only by this product is read in place through strides (perm_b): no
            // transposed copy is written, and each score reads a contiguous row of K.
            string b = p.Inputs[1];
            GraphNode? kt = null;
            if (producers.TryGetValue(b, out var tr) && tr.OpType == "Transpose" && BatchAxesFlatten(tr.GetInts("perm"))
                && RuleHelpers.SoleConsumer(g, b, consumers) == p) { kt = tr; b = tr.Inputs[0]; }

            var fused = new GraphNode(FusedOps.FusedAttention, g.NewName(sm.Name + "_attention"), [p.Inputs[0], b, av.Inputs[1]], [av.Outputs[0]])
            { Domain = FusedOps.Domain };
            fused.Set("scale", GraphAttribute.Of(scale));
            if (kt is not null) fused.Set("perm_b", GraphAttribute.Of(kt.GetInts("perm")!));
            g.Nodes[g.Nodes.IndexOf(av)] = fused;
            foreach (var r in new[] { kt, p, scaleNode, sm }.OfType<GraphNode>()) { g.Nodes.Remove(r); g.Values.Remove(r.Outputs[0]); }
            return true;
        }
        return false;
    }

    /// <summary>Softmax over the last axis only (before opset 13 an axis means "flatten from here", so only the last is the same).</summary>
    private static bool LastAxis(ModelGraph g, GraphNode sm)
    {
        long axis = sm.GetInt("axis", g.Opset >= 13 ? -1 : 1);
        if (axis == -1) return true;
        return g.Value(sm.Input(0)).Shape is { } s && axis == s.Rank - 1;
    }

    /// <summary>
    /// True for an explicit permutation whose leading (batch) output axes are consecutive input axes in order, so
    /// the batch flattens to one stride (torch's Kᵀ: perm [1, 2, 0] of [L, N·heads, d], or [0, 1, 3, 2]).
    /// </summary>
    private static bool BatchAxesFlatten(long[]? perm)
    {
        if (perm is not { Length: >= 2 }) return false;
        for (int i = 0; i + 1 < perm.Length - 2; i++) if (perm[i + 1] != perm[i] + 1) return false;
        return true;
    }

    /// <summary>Unknown shapes pass (attention shapes are often only known once the batch is bound); known ones must be matrices or batches of them.</summary>
    private static bool RankAtLeast2(ModelGraph g, string v) => g.Value(v).Shape is not { } s || s.Rank >= 2;
}
