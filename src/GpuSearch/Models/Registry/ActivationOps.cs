// Unary elementwise ops: one output with the input's dtype and shape, one launch of the unary kernel
// (broadcast.cl, ACT codes from ActivationKind). Those that appear in shape arithmetic or weight transforms
// also fold on the host. Elu/Selu/Softplus/PRelu have shape rules but no kernel yet.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using BroadcastKernel = GpuSearch.Models.Ops.Broadcast;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ActivationOps : IOpFamily
{
    /// <summary>Ops that are exactly one fixed activation kind.</summary>
    internal static readonly IReadOnlyList<(string Op, ActivationKind Kind, bool Folds)> Simple =
    [
        ("Relu", ActivationKind.Relu, true), ("Sigmoid", ActivationKind.Sigmoid, true), ("HardSwish", ActivationKind.HardSwish, false),
        ("Tanh", ActivationKind.Tanh, true), ("Erf", ActivationKind.Erf, true), ("Sqrt", ActivationKind.Sqrt, true),
        ("Exp", ActivationKind.Exp, true), ("Neg", ActivationKind.Neg, true), ("Abs", ActivationKind.Abs, true),
        ("Reciprocal", ActivationKind.Reciprocal, true), ("Log", ActivationKind.Log, false),
    ];

    public IEnumerable<OpDefinition> Ops()
    {
        foreach (var (op, kind, folds) in Simple)
            yield return new() { OpType = op, Shape = SameShape, Fold = folds ? FoldUnary : null, Lower = (l, n) => LowerUnary(l, n, Activation.Of(kind)) };
        yield return new() { OpType = "LeakyRelu", Shape = SameShape, Lower = (l, n) => LowerUnary(l, n, Activation.LeakyRelu(n.GetFloat("alpha", 0.01f))) };
        yield return new()
        {
            OpType = "HardSigmoid", Shape = SameShape,
            Lower = (l, n) => LowerUnary(l, n, Activation.HardSigmoid(n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f))),
        };
        yield return new() { OpType = "Gelu", Check = CheckGelu, Shape = SameShape, Lower = (l, n) => LowerUnary(l, n, Activation.Of(n.GetString("approximate", "none") == "tanh" ? ActivationKind.GeluTanh : ActivationKind.Gelu)) };
        yield return new() { OpType = "Clip", Check = CheckClip, Shape = SameShape, Lower = LowerClip };
        foreach (var op in new[] { "Elu", "Selu", "Softplus", "PRelu" })
            yield return new() { OpType = op, Shape = SameShape };
    }

    /// <summary>Output 0 has input 0's dtype and shape.</summary>
    internal static void SameShape(ModelGraph g, GraphNode n)
    {
        var x = In(g, n, 0);
        SetOut(g, n, 0, x.DataType, x.Shape);
    }

    private static ConstTensor? FoldUnary(ModelGraph g, GraphNode n) =>
        ConstantEvaluator.KnownOutDims(g, n) is null ? null : ConstantEvaluator.Unary(n.OpType, ConstantEvaluator.Input(g, n, 0));

    private static string? CheckGelu(ModelGraph g, GraphNode n)
    {
        var approx = n.GetString("approximate", "none");
        return approx is "none" or "tanh" ? null : $"attribute approximate='{approx}' is not supported (only 'none' and 'tanh')";
    }

    private static string? CheckClip(ModelGraph g, GraphNode n)
    {
        for (int i = 1; i <= 2; i++)
            if (g.Opset >= 11 && n.HasInput(i) && !SupportRules.IsConstantExpression(g, n.Inputs[i]))
                return $"input {i} ('{n.Inputs[i]}') is not a constant ({(i == 1 ? "min" : "max")} must be constant)";
        return null;
    }

    /// <summary>One unary launch over every element of input 0.</summary>
    internal static void LowerUnary(Lowering l, GraphNode n, Activation act)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = l.Shape(x);
        l.Emit(n, [x], [y], (s, v) => BroadcastKernel.Unary(s, act, v[x].View(shape), v[y].View(shape)));
    }

    private static void LowerClip(Lowering l, GraphNode n)
    {
        float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
        if (l.Graph.Opset < 11)
        {
            lo = n.GetFloat("min", lo);
            hi = n.GetFloat("max", hi);
        }
        else
        {
            if (n.HasInput(1)) lo = (float)(l.Const(n.Input(1)) ?? throw new NotSupportedException("Clip min must be a constant")).GetDouble(0);
            if (n.HasInput(2)) hi = (float)(l.Const(n.Input(2)) ?? throw new NotSupportedException("Clip max must be a constant")).GetDouble(0);
        }
        LowerUnary(l, n, Activation.Clip(lo, hi));
    }
}
