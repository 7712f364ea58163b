// Fuses the activation that follows a convolution into FusedConv's epilogue: Relu, LeakyRelu, Clip (bounds
// as attributes before opset 11, as constant inputs from 11), Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu,
// SiLU written as Mul(x, Sigmoid(x)) and HardSwish written as Mul(x, HardSigmoid(x)). GELU's Erf expansion
// is first collapsed by FuseGeluPattern.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Conv → activation becomes FusedConv with that activation.</summary>
internal sealed class FuseActivationIntoConv : SingleMatchRule
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
            if (TryMatchGated(g, y, users, consumers) is { } gated)
            {
                var (sig, mul, gatedAct) = gated;
                RuleHelpers.MakeFused(g, conv);
                RuleHelpers.SetActivation(conv, gatedAct);
                g.Nodes.Remove(sig);
                g.Values.Remove(sig.Outputs[0]);
                RuleHelpers.Absorb(g, conv, 0, mul);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// y feeds exactly a gate G(y) = s and Mul(y, s) (either order), and s feeds only that Mul: with G = Sigmoid
    /// this is SiLU; with G = HardSigmoid(alpha 1/6, beta 0.5) it is HardSwish (how torch ≤ 1.13 exports it).
    /// </summary>
    internal static (GraphNode gate, GraphNode mul, string act)? TryMatchGated(ModelGraph g, string y, List<GraphNode> users, Dictionary<string, List<GraphNode>> consumers)
    {
        if (users.Count != 2) return null;
        var gate = users.FirstOrDefault(u => u.OpType is "Sigmoid" or "HardSigmoid");
        var mul = users.FirstOrDefault(u => u.OpType == "Mul");
        if (gate is null || mul is null || mul.Inputs.Count != 2) return null;
        string act;
        if (gate.OpType == "Sigmoid") act = "SiLU";
        else if (MathF.Abs(gate.GetFloat("alpha", 0.2f) - 1 / 6f) < 1e-6f && gate.GetFloat("beta", 0.5f) == 0.5f) act = "HardSwish";
        else return null;
        string s = gate.Outputs[0];
        bool pairs = (mul.Inputs[0] == y && mul.Inputs[1] == s) || (mul.Inputs[1] == y && mul.Inputs[0] == s);
        return pairs && RuleHelpers.SoleConsumer(g, s, consumers) == mul ? (gate, mul, act) : null;
    }
}
