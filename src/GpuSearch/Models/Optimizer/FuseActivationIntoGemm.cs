// Gemm followed by an activation becomes FusedGemm (Gemm attributes made explicit, plus the activation
// epilogue); e.g. the Dense+ReLU heads of the nsfwjs models.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Gemm → activation becomes FusedGemm.</summary>
internal sealed class FuseActivationIntoGemm : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseActivationIntoGemm";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var gemm in g.Nodes)
        {
            if (gemm.OpType != "Gemm") continue;
            if (RuleHelpers.SoleConsumer(g, gemm.Outputs[0], consumers) is not { } user) continue;
            if (RuleHelpers.ActivationOf(g, user, g.Opset) is not { } act) continue;
            float alpha = gemm.GetFloat("alpha", 1), beta = gemm.GetFloat("beta", 1);
            long ta = gemm.GetInt("transA", 0), tb = gemm.GetInt("transB", 0);
            gemm.Attributes.Clear();
            gemm.Set("alpha", GraphAttribute.Of(alpha)).Set("beta", GraphAttribute.Of(beta))
                .Set("transA", GraphAttribute.Of(ta)).Set("transB", GraphAttribute.Of(tb));
            RuleHelpers.SetActivation(gemm, act.act, act.alpha, act.beta);
            gemm.OpType = FusedOps.FusedGemm;
            gemm.Domain = FusedOps.Domain;
            RuleHelpers.Absorb(g, gemm, 0, user);
            return true;
        }
        return false;
    }
}
