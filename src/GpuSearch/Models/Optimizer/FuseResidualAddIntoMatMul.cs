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
        if (RuleHelpers.FindResidualAdd(g, mm => mm.OpType == FusedOps.FusedMatMul && FusedOps.ActivationOf(mm) == "None"
                && !mm.HasInput(FusedOps.ResidualInput)) is not { } m) return false;
        m.Producer.Inputs.Add(m.Residual);
        RuleHelpers.Absorb(g, m.Producer, 0, m.Add);
        return true;
    }
}
