// Binary elementwise ops with numpy broadcasting: one launch of broadcast.cl's binary kernel (BIN_OP codes
// from BroadcastOp); on integer shape tensors they are evaluated symbolically or folded on the host.
// Max/Min fold (shape arithmetic) but have no device lowering yet; Sum only has a shape rule. Comparisons and
// Where are in LogicOps.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using BroadcastKernel = GpuSearch.Models.Ops.Broadcast;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class BinaryOps : IOpFamily
{
    private static readonly (string Op, BroadcastOp Kernel)[] Lowered =
        [("Add", BroadcastOp.Add), ("Sub", BroadcastOp.Sub), ("Mul", BroadcastOp.Mul), ("Div", BroadcastOp.Div), ("Pow", BroadcastOp.Pow)];

    public IEnumerable<OpDefinition> Ops()
    {
        foreach (var (op, kernel) in Lowered)
            yield return new() { OpType = op, Shape = InferBroadcast, Fold = FoldBinary, Lower = (l, n) => LowerBinary(l, n, kernel) };
        yield return new() { OpType = "Max", Shape = InferBroadcast, Fold = FoldBinary };
        yield return new() { OpType = "Min", Shape = InferBroadcast, Fold = FoldBinary };
        yield return new() { OpType = "Sum", Shape = InferBroadcast };
    }

    private static ConstTensor? FoldBinary(ModelGraph g, GraphNode n) =>
        n.Inputs.Count != 2 || ConstantEvaluator.KnownOutDims(g, n) is not { } od ? null
            : ConstantEvaluator.Binary(n.OpType, ConstantEvaluator.Input(g, n, 0), ConstantEvaluator.Input(g, n, 1), od);

    private static void InferBroadcast(ModelGraph g, GraphNode n)
    {
        var a = In(g, n, 0);
        TensorShape? s = a.Shape;
        for (int i = 1; i < n.Inputs.Count; i++)
        {
            var b = In(g, n, i);
            s = s is null || b.Shape is null ? null : ShapeInference.Broadcast(s, b.Shape, n);
        }
        SetOut(g, n, 0, a.DataType, s);
        // Arithmetic on shape tensors (e.g. Mul of two gathered dims) stays symbolic only when trivially known.
        if (n.Outputs.Count > 0 && a.DataType == TensorDataType.Int64)
        {
            var x = IntsOf(g, n, 0); var y = n.Inputs.Count > 1 ? IntsOf(g, n, 1) : null;
            // A length-1 operand broadcasts (torch's expand multiplies a ones vector by the scalar -1), and
            // negative results stay exact (Dim.OfNumber) so a later Equal(t, -1) can be decided.
            if (x is not null && y is not null && (x.Length == y.Length || x.Length == 1 || y.Length == 1)
                && x.All(v => v.Number is not null) && y.All(v => v.Number is not null))
            {
                long Op(long p, long q) => n.OpType switch
                {
                    "Add" => p + q, "Sub" => p - q, "Mul" => p * q, "Div" when q != 0 => p / q,
                    "Max" => Math.Max(p, q), "Min" => Math.Min(p, q), _ => throw new ArgumentException("no symbolic rule"),
                };
                int len = Math.Max(x.Length, y.Length);
                try { SetOutInts(g, n, Enumerable.Range(0, len).Select(i => Dim.OfNumber(Op(x[x.Length == 1 ? 0 : i].Number!.Value, y[y.Length == 1 ? 0 : i].Number!.Value))).ToArray()); }
                catch (ArgumentException) { }
            }
            // torch's attention reshapes view(L, N·heads, d) with N·heads = Mul(N, heads): the product of a symbol
            // and a size stays a (named) symbol, so the Reshape after it keeps a rank and known trailing dims,
            // and the ops after attention (LayerNorm, residual adds) keep the shapes their fusion rules need.
            else if (n.OpType == "Mul" && x is { Length: 1 } && y is { Length: 1 } && (x[0].Number is null) != (y[0].Number is null)
                     && (x[0].Number ?? y[0].Number) is > 0)
                SetOutInts(g, n, [Product([x[0], y[0]])]);
        }
    }

    private static void LowerBinary(Lowering l, GraphNode n, BroadcastOp op)
    {
        string a = n.Input(0), b = n.Input(1), y = n.Outputs[0];
        int[] sa = l.Shape(a), sb = l.Shape(b), sy = l.Shape(y);
        l.Emit(n, [a, b], [y], (s, v) => BroadcastKernel.Binary(s, op, v[a].View(sa), v[b].View(sb), v[y].View(sy)));
    }
}
