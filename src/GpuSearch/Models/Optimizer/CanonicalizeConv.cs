// Turns every remaining plain Conv into a FusedConv with activation "None", so the executor implements a
// single convolution op whose attributes are always explicit (pads resolved from auto_pad, defaults filled).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv becomes FusedConv (explicit attributes, empty epilogue).</summary>
internal sealed class CanonicalizeConv : IGraphRule
{
    /// <inheritdoc/>
    public string Name => "CanonicalizeConv";

    /// <inheritdoc/>
    public int Apply(ModelGraph g)
    {
        int n = 0;
        foreach (var node in g.Nodes)
            if (node.OpType == "Conv") { RuleHelpers.MakeFused(g, node); n++; }
        return n;
    }
}
