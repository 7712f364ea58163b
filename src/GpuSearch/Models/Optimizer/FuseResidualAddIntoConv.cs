// Fuses Add(conv_out, other) into the conv as FusedConv's residual input when conv_out feeds only the Add
// and `other` has exactly conv_out's shape. Must run before activation fusion: FusedConv computes
// act(conv + bias + residual), so Conv → Add → Relu fuses fully, while Conv → Relu → Add cannot.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv → Add(·, R) becomes FusedConv with residual R.</summary>
internal sealed class FuseResidualAddIntoConv : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseResidualAddIntoConv";

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
                string convOut = add.Inputs[side], other = add.Inputs[1 - side];
                if (!producers.TryGetValue(convOut, out var conv) || !RuleHelpers.IsConv(conv) || !RuleHelpers.HasEmptyEpilogue(conv)) continue;
                if (RuleHelpers.SoleConsumer(g, convOut, consumers) != add) continue;
                var cs = g.Value(convOut).Shape; var os = g.Value(other).Shape;
                // No broadcasting in the epilogue: the residual must be a full tensor of the output's shape.
                if (cs is null || os is null || !cs.Equals(os) || g.ConstantOf(other) is not null) continue;
                RuleHelpers.MakeFused(g, conv);
                while (conv.Inputs.Count < FusedOps.ResidualInput) conv.Inputs.Add("");
                conv.Inputs.Add(other);
                RuleHelpers.Absorb(g, conv, 0, add);
                return true;
            }
        }
        return false;
    }
}
