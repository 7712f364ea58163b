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
        if (RuleHelpers.FindResidualAdd(g, conv => RuleHelpers.IsConv(conv) && RuleHelpers.HasEmptyEpilogue(conv)) is not { } m) return false;
        var conv = m.Producer;
        RuleHelpers.MakeFused(g, conv);
        while (conv.Inputs.Count < FusedOps.ResidualInput) conv.Inputs.Add("");
        conv.Inputs.Add(m.Residual);
        RuleHelpers.Absorb(g, conv, 0, m.Add);
        return true;
    }
}
