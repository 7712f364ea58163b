// MatMul(A[M,K], W[K,N] constant) followed by Add(·, bias[N] constant) is exactly Gemm(A, W, bias); Keras and
// TF converters emit it that way for Dense layers. Only the trivial 2-D case is rewritten.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>MatMul + bias Add becomes Gemm.</summary>
internal sealed class MatMulAddToGemm : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "MatMulAddToGemm";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var mm in g.Nodes)
        {
            if (mm.OpType != "MatMul" || mm.Inputs.Count != 2) continue;
            var a = g.Value(mm.Inputs[0]).Shape; var w = g.ConstantOf(mm.Inputs[1]);
            if (a is not { Rank: 2 } || w is not { Dims.Length: 2 }) continue;
            if (RuleHelpers.SoleConsumer(g, mm.Outputs[0], consumers) is not { OpType: "Add" } add || add.Inputs.Count != 2) continue;
            string biasName = add.Inputs[0] == mm.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            var bias = g.ConstantOf(biasName);
            long n = w.Dims[1];
            if (bias is null || bias.ElementCount != n || bias.Dims.Length > 2 || (bias.Dims.Length == 2 && bias.Dims[0] != 1)) continue;
            mm.OpType = "Gemm";
            mm.Inputs.Add(biasName);
            mm.Set("alpha", GraphAttribute.Of(1f)).Set("beta", GraphAttribute.Of(1f))
              .Set("transA", GraphAttribute.Of(0L)).Set("transB", GraphAttribute.Of(0L));
            RuleHelpers.Absorb(g, mm, 0, add);
            return true;
        }
        return false;
    }
}
