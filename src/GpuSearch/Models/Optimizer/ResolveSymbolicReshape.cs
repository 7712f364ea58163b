// torch computes Reshape targets from x.size() (ShuffleNet's channel shuffle: view(N, g, C/g, H, W)). With a
// symbolic batch the target is [N, 2, 58, 28, 28]: not constant, so the Shape → Gather → Concat chain would
// have to run at inference time. When each symbolic entry copies the input's dim at the same position, ONNX's
// "0 = copy this dim" says the same thing with a constant: the target becomes [0, 2, 58, 28, 28] and the
// shape chain dies (RemoveDeadNodes). One entry that is a product of symbols (Swin's [N·64, 49, C] window
// batch) becomes -1, which the rest of the constant target determines.
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
            bool ok = true;
            int other = -1; // the one symbolic entry that copies no input dim (Swin's N·64 windows), if any
            for (int i = 0; i < sym.Length && ok; i++)
            {
                if (sym[i].IsKnown) resolved[i] = sym[i].Value == 0 ? -2 : sym[i].Value; // a literal 0 would mean "copy": refuse
                else if (sym[i].Symbol == "-1") resolved[i] = -1;
                else if (i < x.Rank && x[i] == sym[i]) resolved[i] = 0;
                else if (other < 0 && sym[i].Symbol != "?") other = i;
                else ok = false;
            }
            // With every other entry fixed, that entry is the element count divided by the rest: ONNX's -1.
            if (other >= 0 && resolved.Contains(-1)) ok = false;
            else if (other >= 0) resolved[other] = -1;
            if (!ok || resolved.Contains(-2)) continue;
            n.Inputs[1] = g.AddConstant(n.Name + "_shape", ConstTensor.Vector(resolved));
            return true;
        }
        return false;
    }
}
