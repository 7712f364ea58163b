// Shape rules for elementwise ops: unary activations keep their input's shape; binary arithmetic
// broadcasts numpy-style; Cast changes only the type; Dropout/Identity pass through.
namespace GpuSearch.Models.Graph;

public static partial class ShapeInference
{
    /// <summary>Ops whose single output has its first input's type and shape.</summary>
    internal static readonly string[] UnaryOps =
    [
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu", "Sqrt",
        "Softmax", "LogSoftmax", "Identity", "Neg", "Abs", "Exp", "Log", "Reciprocal", "Elu", "Selu", "Softplus",
        "PRelu", "LRN", "InstanceNormalization",
    ];

    /// <summary>Binary ops with numpy broadcasting.</summary>
    internal static readonly string[] BinaryOps = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum"];

    private static void AddElementwise(Dictionary<string, Action<ModelGraph, GraphNode>> d)
    {
        foreach (var op in UnaryOps)
            d[op] = (g, n) => { var x = In(g, n, 0); SetOut(g, n, 0, x.DataType, x.Shape); };
        foreach (var op in BinaryOps) d[op] = InferBroadcast;
        d["Dropout"] = (g, n) =>
        {
            var x = In(g, n, 0);
            SetOut(g, n, 0, x.DataType, x.Shape);
            SetOut(g, n, 1, TensorDataType.Bool, x.Shape); // optional mask output
        };
        d["Cast"] = (g, n) =>
        {
            var x = In(g, n, 0);
            var to = (TensorDataType)n.GetInt("to", 0);
            SetOut(g, n, 0, to, x.Shape);
            // Shape tensors are often cast int64→int64 or to float and back; keep the symbolic values for integers.
            if (to.IsIntegral()) SetOutInts(g, n, IntsOf(g, n, 0));
        };
        d["BatchNormalization"] = (g, n) =>
        {
            var x = In(g, n, 0);
            SetOut(g, n, 0, x.DataType, x.Shape);
        };
        d["Where"] = (g, n) =>
        {
            var s = Broadcast(Broadcast(ShapeOf(g, n, 0), ShapeOf(g, n, 1), n), ShapeOf(g, n, 2), n);
            SetOut(g, n, 0, In(g, n, 1).DataType, s);
        };
    }

    private static void InferBroadcast(ModelGraph g, GraphNode n)
    {
        var a = In(g, n, 0);
        TensorShape? s = a.Shape;
        for (int i = 1; i < n.Inputs.Count; i++)
        {
            var b = In(g, n, i);
            s = s is null || b.Shape is null ? null : Broadcast(s, b.Shape, n);
        }
        SetOut(g, n, 0, a.DataType, s);
        // Arithmetic on shape tensors (e.g. Mul of two gathered dims) stays symbolic only when trivially known.
        if (n.Outputs.Count > 0 && a.DataType == TensorDataType.Int64)
        {
            var x = IntsOf(g, n, 0); var y = n.Inputs.Count > 1 ? IntsOf(g, n, 1) : null;
            if (x is not null && y is not null && x.Length == y.Length && x.All(v => v.IsKnown) && y.All(v => v.IsKnown))
            {
                long Op(long p, long q) => n.OpType switch
                {
                    "Add" => p + q, "Sub" => p - q, "Mul" => p * q, "Div" when q != 0 => p / q,
                    "Max" => Math.Max(p, q), "Min" => Math.Min(p, q), _ => throw new ArgumentException("no symbolic rule"),
                };
                try { SetOutInts(g, n, x.Zip(y, (p, q) => Dim.Known(Math.Max(0, Op(p.Value, q.Value)))).ToArray()); }
                catch (ArgumentException) { }
            }
        }
    }
}
