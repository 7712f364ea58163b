// Removes Identity nodes and inference-time Dropout (which is the identity): consumers read the input
// directly. When the removed node produced a graph output, its producer is renamed to keep the output name.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Drops Identity and Dropout (unless Dropout's mask output is used).</summary>
internal sealed class RemoveIdentityAndDropout : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "RemoveIdentityAndDropout";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        foreach (var n in g.Nodes)
        {
            if (n.OpType is not ("Identity" or "Dropout") || !n.HasInput(0) || n.Outputs.Count == 0) continue;
            if (n.Outputs.Skip(1).Any(o => o.Length > 0 && g.UseCount(o, consumers) > 0)) continue; // mask is used
            string x = n.Inputs[0], y = n.Outputs[0];
            if (!g.IsGraphOutput(y))
            {
                g.ReplaceUses(y, x);
                g.Nodes.Remove(n);
                foreach (var o in n.Outputs) g.Values.Remove(o);
                return true;
            }
            // y is a graph output: rename x to y at its producer, if x is an ordinary intermediate.
            if (!producers.TryGetValue(x, out var p) || g.IsGraphOutput(x) || g.Inputs.Contains(x)) continue;
            g.ReplaceUses(x, y);
            p.Outputs[p.Outputs.IndexOf(x)] = y;
            g.Nodes.Remove(n);
            var yv = g.Value(y);
            var xv = g.Value(x);
            if (yv.Shape is null) { yv.Shape = xv.Shape; yv.DataType = xv.DataType; }
            g.Values.Remove(x);
            foreach (var o in n.Outputs.Skip(1)) if (o.Length > 0) g.Values.Remove(o);
            return true;
        }
        return false;
    }
}
