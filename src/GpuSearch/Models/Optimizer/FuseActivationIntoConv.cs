// Fuses the activation that follows a convolution into FusedConv's epilogue: Relu, LeakyRelu, Clip (bounds
// as attributes before opset 11, as constant inputs from 11), Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu,
// and SiLU written as Mul(x, Sigmoid(x)). GELU's Erf expansion is first collapsed by FuseGeluPattern.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv → activation becomes FusedConv with that activation.</summary>
public sealed class FuseActivationIntoConv : SingleMatchRule
{
    /// <inheritdoc/>
    public override string Name => "FuseActivationIntoConv";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        foreach (var conv in g.Nodes)
        {
            if (!RuleHelpers.IsConv(conv) || (conv.OpType == FusedOps.FusedConv && FusedOps.ActivationOf(conv) != "None")) continue;
            string y = conv.Outputs[0];
            if (g.IsGraphOutput(y) || !consumers.TryGetValue(y, out var users)) continue;
            if (users.Count == 1 && RuleHelpers.ActivationOf(g, users[0], g.Opset) is { } act)
            {
                RuleHelpers.MakeFused(g, conv);
                RuleHelpers.SetActivation(conv, act.act, act.alpha, act.beta);
                RuleHelpers.Absorb(g, conv, 0, users[0]);
                return true;
            }
            if (TryMatchSilu(g, y, users, consumers) is { } mul)
            {
                var sig = users.First(u => u.OpType == "Sigmoid");
                RuleHelpers.MakeFused(g, conv);
                RuleHelpers.SetActivation(conv, "SiLU");
                g.Nodes.Remove(sig);
                g.Values.Remove(sig.Outputs[0]);
                RuleHelpers.Absorb(g, conv, 0, mul);
                return true;
            }
        }
        return false;
    }

    /// <summary>y feeds exactly Sigmoid(y) = s and Mul(y, s) (either order), and s feeds only that Mul.</summary>
    internal static GraphNode? TryMatchSilu(ModelGraph g, string y, List<GraphNode> users, Dictionary<string, List<GraphNode>> consumers)
    {
        if (users.Count != 2) return null;
        var sig = users.FirstOrDefault(u => u.OpType == "Sigmoid");
        var mul = users.FirstOrDefault(u => u.OpType == "Mul");
        if (sig is null || mul is null || mul.Inputs.Count != 2) return null;
        string s = sig.Outputs[0];
        bool pairs = (mul.Inputs[0] == y && mul.Inputs[1] == s) || (mul.Inputs[1] == y && mul.Inputs[0] == s);
        return pairs && RuleHelpers.SoleConsumer(g, s, consumers) == mul ? mul : null;
    }
}
