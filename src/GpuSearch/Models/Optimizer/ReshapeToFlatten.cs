// torch exports x.view(x.size(0), -1) as Shape → Gather(0) → Unsqueeze → Concat([N], [-1]) → Reshape. With a
// symbolic batch that shape cannot be folded to a constant, but it is exactly Flatten(axis=1): rewrite it
// (the now-dead Shape chain is removed by RemoveDeadNodes). Also applies to constant targets [0,-1] / [B,-1].
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Reshape to [batch, -1] becomes Flatten(axis=1).</summary>
internal sealed class ReshapeToFlatten : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "ReshapeToFlatten";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        foreach (var n in g.Nodes)
        {
            if (n.OpType != "Reshape" || !n.HasInput(1)) continue;
            var x = g.Value(n.Inputs[0]).Shape;
            if (x is null || x.Rank < 2) continue;
            var shapeVal = g.Value(n.Inputs[1]);
            Dim[]? target = shapeVal.Constant is { } c ? c.ToLongs().Select(v => v >= 0 ? Dim.Known(v) : Dim.Symbolic("-1")).ToArray() : shapeVal.SymbolicData;
            if (target is not { Length: 2 }) continue;
            bool firstIsBatch = target[0] == x[0] || (target[0].IsKnown && target[0].Value == 0 && n.GetInt("allowzero", 0) == 0);
            bool secondIsRest = target[1].Symbol == "-1"
                || (target[1].IsKnown && x.Dims.Skip(1).All(d => d.IsKnown) && target[1].Value == x.KnownProduct() / (x[0].IsKnown ? Math.Max(1, x[0].Value) : 1));
            if (!firstIsBatch || !secondIsRest) continue;
            // A fully constant target on a fully known input is already fine as Reshape only if the batch is fixed;
            // Flatten is still the simpler op for the executor, so rewrite in every matching case.
            n.OpType = "Flatten";
            n.Inputs.RemoveAt(1);
            n.Attributes.Clear();
            n.Set("axis", GraphAttribute.Of(1L));
            return true;
        }
        return false;
    }
}
