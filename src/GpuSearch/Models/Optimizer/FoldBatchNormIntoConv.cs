// Folds an inference BatchNormalization that directly follows a convolution into the conv's weights and
// bias: with s = gamma / sqrt(var + eps), W'[m] = W[m]·s[m] and B'[m] = (B[m] − mean[m])·s[m] + beta[m].
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv → BatchNormalization becomes one conv with new weight and bias constants.</summary>
internal sealed class FoldBatchNormIntoConv : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FoldBatchNormIntoConv";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var conv in g.Nodes)
        {
            if (!RuleHelpers.IsConv(conv) || !RuleHelpers.HasEmptyEpilogue(conv)) continue;
            if (RuleHelpers.SoleConsumer(g, conv.Outputs[0], consumers) is not { OpType: "BatchNormalization" } bn) continue;
            if (bn.Outputs.Skip(1).Any(o => o.Length > 0) || bn.GetInt("training_mode", 0) != 0) continue;
            var w = g.ConstantOf(conv.Input(1));
            var b = conv.HasInput(2) ? g.ConstantOf(conv.Input(2)) : null;
            if (w is null || (conv.HasInput(2) && b is null)) continue;
            var p = Enumerable.Range(1, 4).Select(i => g.ConstantOf(bn.Input(i))).ToArray();
            if (p.Any(t => t is null)) continue;
            long m = w.Dims[0];
            if (p.Any(t => t!.ElementCount != m)) continue;
            float eps = bn.GetFloat("epsilon", 1e-5f);
            float[] gamma = p[0]!.ToFloats(), beta = p[1]!.ToFloats(), mean = p[2]!.ToFloats(), variance = p[3]!.ToFloats();
            var wf = w.ToFloats();
            var nw = new float[wf.Length];
            long per = wf.Length / m;
            var nb = new float[m];
            for (long o = 0; o < m; o++)
            {
                // Computed in double: the fold should not add error beyond the final rounding.
                double s = gamma[o] / Math.Sqrt((double)variance[o] + eps);
                for (long k = 0; k < per; k++) nw[o * per + k] = (float)(wf[o * per + k] * s);
                double bias = b is null ? 0 : b.GetDouble(o);
                nb[o] = (float)((bias - mean[o]) * s + beta[o]);
            }
            var wName = g.AddConstant(conv.Input(1) + "_bnfolded", ConstTensor.FromFloats(w.Dims, nw));
            var bName = g.AddConstant((conv.HasInput(2) ? conv.Input(2) : conv.Name + "_bias") + "_bnfolded", ConstTensor.FromFloats([m], nb));
            conv.Inputs[1] = wName;
            while (conv.Inputs.Count < 3) conv.Inputs.Add("");
            conv.Inputs[2] = bName;
            RuleHelpers.Absorb(g, conv, 0, bn);
            return true;
        }
        return false;
    }
}
