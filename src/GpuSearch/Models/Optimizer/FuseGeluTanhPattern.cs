// GELU's tanh approximation as torch exports it before opset 20 (nn.GELU(approximate='tanh'), and the "new GELU" of
// GPT-style MLPs): y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), with x³ as Mul(x, Mul(x, x)) or Pow(x, 3)
// and the 0.5 applied last or to x first. Collapsed into Gelu(approximate="tanh") so activation fusion puts it into
// the GEMM epilogue (FusedMatMul/FusedGemm "GeluTanh") instead of nine elementwise passes.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Tanh-approximated GELU subgraph becomes Gelu(approximate="tanh").</summary>
internal sealed class FuseGeluTanhPattern : SingleMatchRule
{
    private static readonly float SqrtTwoOverPi = MathF.Sqrt(2 / MathF.PI);

    /// <inheritdoc/>
    public override string Name => "FuseGeluTanhPattern";

    /// <inheritdoc/>
    protected override bool TryApplyOnce(ModelGraph g)
    {
        var consumers = g.Consumers();
        var producers = g.Producers();
        GraphNode? Sole(string v) => RuleHelpers.SoleConsumer(g, v, consumers);
        GraphNode? Producer(string v) => producers.TryGetValue(v, out var p) ? p : null;
        foreach (var tanh in g.Nodes)
        {
            if (tanh.OpType != "Tanh") continue;
            // Backwards: √(2/π) · (x + 0.044715 · x³)
            if (Producer(tanh.Inputs[0]) is not { OpType: "Mul" } scale || Sole(scale.Outputs[0]) != tanh) continue;
            if (ScaledOperand(g, scale, SqrtTwoOverPi) is not { } inner || Producer(inner) is not { OpType: "Add", Inputs.Count: 2 } sum || Sole(inner) != scale) continue;
            string? x = null; GraphNode? kappa = null;
            for (int side = 0; side < 2 && x is null; side++)
                if (Producer(sum.Inputs[1 - side]) is { OpType: "Mul" } k && Sole(k.Outputs[0]) == sum
                    && ScaledOperand(g, k, 0.044715f) is { } cubeOut && Sole(cubeOut) == k && CubeOf(g, cubeOut, sum.Inputs[side], producers, Sole) is not null)
                { x = sum.Inputs[side]; kappa = k; }
            if (x is null || kappa is null) continue;
            var cubeNodes = CubeOf(g, ScaledOperand(g, kappa, 0.044715f)!, x, producers, Sole)!;
            // Forwards: 0.5 · x · (1 + tanh)
            if (Sole(tanh.Outputs[0]) is not { OpType: "Add" } plus || OtherScalar(g, plus, tanh.Outputs[0]) is not 1f) continue;
            if (Sole(plus.Outputs[0]) is not { OpType: "Mul" } m1) continue;
            string other = m1.Inputs[0] == plus.Outputs[0] ? m1.Inputs[1] : m1.Inputs[0];
            var remove = new List<GraphNode> { scale, sum, kappa, tanh, plus };
            remove.AddRange(cubeNodes);
            GraphNode last;
            if (other == x)
            {
                if (Sole(m1.Outputs[0]) is not { OpType: "Mul" } m2 || OtherScalar(g, m2, m1.Outputs[0]) is not 0.5f) continue;
                remove.Add(m1); last = m2;
            }
            else if (Producer(other) is { OpType: "Mul" } half && Sole(other) == m1 && half.Inputs.Contains(x) && OtherScalar(g, half, x) is 0.5f)
            {
                remove.Add(half); last = m1;
            }
            else continue;
            var gelu = new GraphNode("Gelu", g.NewName(last.Name + "_gelu_tanh"), [x], [last.Outputs[0]]);
            gelu.Set("approximate", GraphAttribute.Of("tanh"));
            foreach (var r in remove) { g.Nodes.Remove(r); g.Values.Remove(r.Outputs[0]); }
            g.Nodes[g.Nodes.IndexOf(last)] = gelu;
            return true;
        }
        return false;
    }

    /// <summary>The nodes computing x³ from <paramref name="x"/> into <paramref name="value"/> (each used only there), or null.</summary>
    private static List<GraphNode>? CubeOf(ModelGraph g, string value, string x, Dictionary<string, GraphNode> producers, Func<string, GraphNode?> sole)
    {
        if (!producers.TryGetValue(value, out var n)) return null;
        if (n.OpType == "Pow" && n.Inputs[0] == x && RuleHelpers.Scalar(g, n.Inputs[1]) == 3f) return [n];
        if (n.OpType != "Mul" || n.Inputs.Count != 2) return null;
        for (int side = 0; side < 2; side++)
            if (n.Inputs[side] == x && producers.TryGetValue(n.Inputs[1 - side], out var sq) && sq.OpType == "Mul"
                && sq.Inputs.Count == 2 && sq.Inputs[0] == x && sq.Inputs[1] == x && sole(sq.Outputs[0]) == n)
                return [n, sq];
        return null;
    }

    /// <summary>If <paramref name="n"/> is Mul(v, c) or Mul(c, v) with the scalar c ≈ <paramref name="c"/>, returns v.</summary>
    private static string? ScaledOperand(ModelGraph g, GraphNode n, float c)
    {
        if (n.OpType != "Mul" || n.Inputs.Count != 2) return null;
        for (int i = 0; i < 2; i++)
            if (RuleHelpers.Scalar(g, n.Inputs[i]) is { } k && MathF.Abs(k - c) < 1e-4f * MathF.Max(1, MathF.Abs(c))) return n.Inputs[1 - i];
        return null;
    }

    /// <summary>The scalar constant on the other side of a binary node from <paramref name="value"/>.</summary>
    private static float? OtherScalar(ModelGraph g, GraphNode n, string value)
    {
        if (n.Inputs.Count != 2) return null;
        var other = n.Inputs[0] == value ? n.Inputs[1] : n.Inputs[1] == value ? n.Inputs[0] : null;
        return other is null ? null : RuleHelpers.Scalar(g, other);
    }
}
