// TensorFlow/Keras converters often emit a bias-free Conv followed by Add(conv_out, bias) with the bias as a
// [C], [C,1,1] or [1,C,1,1] constant. That is exactly the conv's bias: fold it into B (creating B if absent),
// so the residual slot of FusedConv stays free for real skip connections.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv → Add(per-channel constant) becomes a conv with that bias.</summary>
internal sealed class FoldBiasAddIntoConv : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FoldBiasAddIntoConv";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var conv in g.Nodes)
        {
            if (!RuleHelpers.IsConv(conv) || !RuleHelpers.HasEmptyEpilogue(conv)) continue;
            if (RuleHelpers.SoleConsumer(g, conv.Outputs[0], consumers) is not { OpType: "Add" } add || add.Inputs.Count != 2) continue;
            var other = add.Inputs[0] == conv.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            var c = g.ConstantOf(other);
            var y = g.Value(conv.Outputs[0]).Shape;
            var w = g.ConstantOf(conv.Input(1));
            if (c is null || !c.IsFloating || y is null || w is null) continue;
            long m = w.Dims[0];
            if (!IsPerChannel(c.Dims, m, y.Rank)) continue;
            var bias = c.ToFloats();
            var old = conv.HasInput(2) ? g.ConstantOf(conv.Input(2)) : null;
            if (conv.HasInput(2) && old is null) continue;
            var sum = new float[m];
            for (int i = 0; i < m; i++) sum[i] = (old is null ? 0 : (float)old.GetDouble(i)) + (bias.Length == 1 ? bias[0] : bias[i]);
            while (conv.Inputs.Count < 3) conv.Inputs.Add("");
            conv.Inputs[2] = g.AddConstant(conv.Name + "_bias", ConstTensor.FromFloats([m], sum));
            RuleHelpers.Absorb(g, conv, 0, add);
            return true;
        }
        return false;
    }

    /// <summary>True when dims broadcast along the channel axis of an [N, M, spatial...] output only.</summary>
    private static bool IsPerChannel(long[] dims, long m, int outRank)
    {
        long n = dims.Aggregate(1L, (a, b) => a * b);
        if (n == 1) return dims.Length <= outRank;
        if (n != m || dims.Length > outRank) return false;
        // The single non-1 dim must land on axis 1 once right-aligned against the output rank.
        int offset = outRank - dims.Length;
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] != 1 && i + offset != 1) return false;
        return true;
    }
}
