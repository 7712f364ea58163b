// A Linear layer on a sequence, MatMul(A[..., K], W[K, N] constant) followed by Add(·, bias of N elements), is
// how torch exports nn.Linear on a 3-D input (every projection of a transformer). As FusedMatMul the bias is
// added in the product's epilogue, and the activation or residual add after it can join (FuseActivationIntoMatMul,
// FuseResidualAddIntoMatMul). 2-D inputs are Gemm's (MatMulAddToGemm runs first).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>MatMul (rank ≥ 3, constant weights) + bias Add becomes FusedMatMul.</summary>
internal sealed class MatMulBiasToFusedMatMul : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "MatMulBiasToFusedMatMul";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var mm in g.Nodes)
        {
            if (mm.OpType != "MatMul" || mm.Inputs.Count != 2) continue;
            var a = g.Value(mm.Inputs[0]).Shape; var w = g.ConstantOf(mm.Inputs[1]);
            if (a is not { Rank: >= 3 } || w is not { Dims.Length: 2, IsFloating: true }) continue;
            if (RuleHelpers.SoleConsumer(g, mm.Outputs[0], consumers) is not { OpType: "Add" } add || add.Inputs.Count != 2) continue;
            string biasName = add.Inputs[0] == mm.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            // Only a per-column bias: [N] or [1, ..., 1, N] no longer than the output, so the Add's shape is the product's.
            if (g.ConstantOf(biasName) is not { IsFloating: true } bias || bias.ElementCount != w.Dims[1] || bias.Dims.Length > a.Rank
                || bias.Dims.Length == 0 || bias.Dims[^1] != w.Dims[1]) continue;
            mm.OpType = FusedOps.FusedMatMul;
            mm.Domain = FusedOps.Domain;
            mm.Inputs.Add(biasName);
            RuleHelpers.SetActivation(mm, "None");
            RuleHelpers.Absorb(g, mm, 0, add);
            return true;
        }
        return false;
    }
}
