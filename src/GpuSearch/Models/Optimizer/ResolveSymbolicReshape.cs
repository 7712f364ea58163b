// torch computes Reshape targets from x.size() (ShuffleNet's channel shuffle: view(N, g, C/g, H, W)). With a
// symbolic batch the target is [N, 2, 58, 28, 28]: not constant, so the Shape → Gather → Concat chain would
// have to run at inference time. When each symbolic entry copies the input's dim at the same position, ONNX's
// "0 = copy this dim" says the same thing with a constant: the target becomes [0, 2, 58, 28, 28] and the
// shape chain dies (RemoveDeadNodes). One other symbolic entry, such as the N·heads of torch's attention
// view(L, N·heads, d), becomes -1.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Reshape with a partly symbolic target becomes Reshape with a constant target using 0 for copied dims.</summary>
internal sealed class ResolveSymbolicReshape : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "ResolveSymbolicReshape";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        foreach (var n in g.Nodes)
        {
            if (n.OpType != "Reshape" || !n.HasInput(1) || n.GetInt("allowzero", 0) != 0) continue;
            var target = g.Value(n.Inputs[1]);
            var x = g.Value(n.Inputs[0]).Shape;
            if (target.IsConstant || target.SymbolicData is not { } sym || x is null) continue;
            var resolved = new long[sym.Length];
            int free = -1;
            for (int i = 0; i < sym.Length; i++)
            {
                if (sym[i].IsKnown) resolved[i] = sym[i].Value == 0 ? -2 : sym[i].Value; // a literal 0 would mean "copy": refuse
                else if (sym[i].Symbol == "-1") resolved[i] = -1;
                else if (i < x.Rank && x[i] == sym[i]) resolved[i] = 0;
                else { resolved[i] = -3; free = free < 0 ? i : -2; }
            }
            // One entry that is neither known nor a copy (attention's N·heads) is implied by the element count:
            // it becomes -1 when the target has no -1 already. Sizes are all non-zero here, so -1 is unambiguous.
            if (free >= 0 && !resolved.Contains(-1)) resolved[free] = -1;
            if (resolved.Contains(-2) || resolved.Contains(-3)) continue;
            n.Inputs[1] = g.AddConstant(n.Name + "_shape", ConstTensor.Vector(resolved));
            return true;
        }
        return false;
    }
}
