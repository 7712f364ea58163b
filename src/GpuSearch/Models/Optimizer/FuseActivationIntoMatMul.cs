// FusedMatMul followed by an activation (a transformer MLP's GELU after its first Linear) applies it in the
// product's epilogue instead of one more pass over the widest activation of the block.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>FusedMatMul (no activation yet) → activation becomes FusedMatMul with that activation.</summary>
internal sealed class FuseActivationIntoMatMul : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseActivationIntoMatMul";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var mm in g.Nodes)
        {
            if (mm.OpType != FusedOps.FusedMatMul || FusedOps.ActivationOf(mm) != "None") continue;
            if (RuleHelpers.SoleConsumer(g, mm.Outputs[0], consumers) is not { } user) continue;
            if (RuleHelpers.ActivationOf(g, user, g.Opset) is not { } act) continue;
            RuleHelpers.SetActivation(mm, act.act, act.alpha, act.beta);
            RuleHelpers.Absorb(g, mm, 0, user);
            return true;
        }
        return false;
    }
}
