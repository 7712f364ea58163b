// A transformer's residual connection, x + Linear(...), is one more full read and write of the activation.
// FusedMatMul adds it in the epilogue when the product feeds only the Add and the other operand has exactly the
// product's shape (no broadcast). Runs before FuseActivationIntoMatMul: the epilogue is act(A·W + B + R).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>FusedMatMul → Add(·, R) becomes FusedMatMul with residual R.</summary>
internal sealed class FuseResidualAddIntoMatMul : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseResidualAddIntoMatMul";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        foreach (var add in g.Nodes)
        {
            if (add.OpType != "Add" || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1]) continue;
            for (int side = 0; side < 2; side++)
            {
                string product = add.Inputs[side], other = add.Inputs[1 - side];
                if (!producers.TryGetValue(product, out var mm) || mm.OpType != FusedOps.FusedMatMul
                    || FusedOps.ActivationOf(mm) != "None" || mm.HasInput(FusedOps.ResidualInput)) continue;
                if (RuleHelpers.SoleConsumer(g, product, consumers) != add) continue;
                var ps = g.Value(product).Shape; var os = g.Value(other).Shape;
                if (ps is null || os is null || !ps.Equals(os) || g.ConstantOf(other) is not null) continue;
                mm.Inputs.Add(other);
                RuleHelpers.Absorb(g, mm, 0, add);
                return true;
            }
        }
        return false;
    }
}
