// Recognises scaled-dot-product attention in an optimized graph: Softmax(MatMul(Q, K) [· or ÷ scale]
// [+ bias/mask, views]) feeding a MatMul with V, as torch's MultiheadAttention, timm/HF attention and Swin export it. Read
// by model-info (how many attention blocks a model has); FusedAttention nodes (the optimizer's fusion of
// this pattern) count as blocks too.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

internal static class AttentionBlocks
{
    /// <summary>
    /// Ops allowed between the score MatMul and the Softmax: scale, additive bias or mask, and the views Swin
    /// puts around its shifted-window mask ([N·nW, heads, L, L] → [N, nW, heads, L, L] + mask → back).
    /// </summary>
    private static readonly HashSet<string> Between = ["Mul", "Div", "Add", "Reshape"];

    /// <summary>The FusedAttention nodes and the Softmax nodes that sit between two MatMuls (scores and weighted values).</summary>
    public static List<GraphNode> Find(ModelGraph g)
    {
        var producers = g.Producers();
        var consumers = g.Consumers();
        var found = g.Nodes.Where(n => n.OpType == FusedOps.FusedAttention).ToList();
        foreach (var sm in g.Nodes.Where(n => n.OpType == "Softmax"))
        {
            var v = sm.Input(0);
            for (int hops = 0; hops < 6 && producers.TryGetValue(v, out var p) && Between.Contains(p.OpType); hops++)
                v = p.Inputs.FirstOrDefault(i => producers.TryGetValue(i, out var q) && (q.OpType == "MatMul" || Between.Contains(q.OpType))) ?? "";
            if (!producers.TryGetValue(v, out var scores) || scores.OpType != "MatMul") continue;
            if (consumers.TryGetValue(sm.Outputs[0], out var users) && users.Any(u => u.OpType == "MatMul" && u.Inputs[0] == sm.Outputs[0]))
                found.Add(sm);
        }
        return found;
    }
}
