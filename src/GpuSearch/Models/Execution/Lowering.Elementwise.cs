// Lowering of unary activations, broadcasting binary ops and the ops that move no data
// (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze, float→float Cast).
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddElementwise(Dictionary<string, Action<Lowering, GraphNode>> h)
    {
        foreach (var (op, kind) in new (string, ActivationKind)[]
                 {
                     ("Relu", ActivationKind.Relu), ("Sigmoid", ActivationKind.Sigmoid), ("HardSwish", ActivationKind.HardSwish),
                     ("Tanh", ActivationKind.Tanh), ("Erf", ActivationKind.Erf), ("Sqrt", ActivationKind.Sqrt), ("Exp", ActivationKind.Exp),
                     ("Neg", ActivationKind.Neg), ("Abs", ActivationKind.Abs), ("Reciprocal", ActivationKind.Reciprocal), ("Log", ActivationKind.Log),
                 })
            h[op] = (l, n) => l.LowerUnary(n, Activation.Of(kind));
        h["LeakyRelu"] = (l, n) => l.LowerUnary(n, Activation.LeakyRelu(n.GetFloat("alpha", 0.01f)));
        h["HardSigmoid"] = (l, n) => l.LowerUnary(n, Activation.HardSigmoid(n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f)));
        h["Gelu"] = (l, n) => l.LowerUnary(n, Activation.Of(n.GetString("approximate", "none") == "tanh" ? ActivationKind.GeluTanh : ActivationKind.Gelu));
        h["Clip"] = (l, n) => l.LowerClip(n);
        foreach (var (op, bop) in new (string, BroadcastOp)[]
                 { ("Add", BroadcastOp.Add), ("Sub", BroadcastOp.Sub), ("Mul", BroadcastOp.Mul), ("Div", BroadcastOp.Div), ("Pow", BroadcastOp.Pow) })
            h[op] = (l, n) => l.LowerBinary(n, bop);
        foreach (var op in new[] { "Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze" })
            h[op] = (l, n) => l.Alias(n.Outputs[0], n.Input(0));
        h["Cast"] = (l, n) => l.LowerCast(n);
        h["Constant"] = (l, n) => { if (l.Const(n.Outputs[0]) is null) throw new NotSupportedException("Constant without a value"); };
    }

    private void LowerUnary(GraphNode n, Activation act)
    {
        string x = n.Input(0), y = n.Outputs[0];
        long count = Count(Shape(x));
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Broadcast.Unary(s, act, count, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerClip(GraphNode n)
    {
        float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
        if (Graph.Opset < 11)
        {
            lo = n.GetFloat("min", lo);
            hi = n.GetFloat("max", hi);
        }
        else
        {
            if (n.HasInput(1)) lo = (float)(Const(n.Input(1)) ?? throw new NotSupportedException("Clip min must be a constant")).GetDouble(0);
            if (n.HasInput(2)) hi = (float)(Const(n.Input(2)) ?? throw new NotSupportedException("Clip max must be a constant")).GetDouble(0);
        }
        LowerUnary(n, Activation.Clip(lo, hi));
    }

    private void LowerBinary(GraphNode n, BroadcastOp op)
    {
        string a = n.Input(0), b = n.Input(1), y = n.Outputs[0];
        int[] sa = Shape(a), sb = Shape(b);
        Emit(n, [a, b], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            Broadcast.Binary(s, op, sa, A.Buffer, A.Offset, sb, B.Buffer, B.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerCast(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var to = Graph.Value(y).DataType;
        if (!to.IsFloating()) throw new NotSupportedException($"Cast to {to} of device data (only float targets)");
        if (Graph.Value(x).DataType.IsFloating())
        {
            // Narrowing to fp16 changes values even though the executor keeps fp32 storage.
            if (to == TensorDataType.Float16 && Graph.Value(x).DataType != TensorDataType.Float16) LowerUnary(n, Activation.Of(ActivationKind.RoundToHalf));
            else Alias(y, x);
            return;
        }
        var ints = Ints(x) ?? throw new NotSupportedException("Cast of integer data that is not known when planning");
        PlanConstants[y] = ConstTensor.FromFloats(Shape(y).Select(d => (long)d).ToArray(), ints.Select(i => (float)i).ToArray());
    }
}
