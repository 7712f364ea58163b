// The optimizer's FusedAttention (Optimizer/FuseAttention): softmax(scale · A·B) · V in one launch of
// kernels/attention.cl. Shapes follow the two MatMuls it replaces (numpy batching); the kernel takes
// operands that carry the whole batch or a single matrix shared by every batch entry.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class AttentionOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = FusedOps.FusedAttention, Shape = InferAttention, Lower = LowerAttention },
    ];

    private static void InferAttention(ModelGraph g, GraphNode n)
    {
        TensorShape a = ShapeOf(g, n, 0), b = ProductRight(ShapeOf(g, n, 1), n), v = ShapeOf(g, n, 2);
        if (a.Rank < 2 || b.Rank < 2 || v.Rank < 2) throw new InvalidDataException($"{n.Describe()}: attention operands must be matrices, got {a}, {b}, {v}");
        if (a[-1].IsKnown && b[-2].IsKnown && a[-1].Value != b[-2].Value) throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b})");
        if (b[-1].IsKnown && v[-2].IsKnown && b[-1].Value != v[-2].Value) throw new InvalidDataException($"{n.Describe()}: key counts differ ({b} and {v})");
        var batch = ShapeInference.Broadcast(ShapeInference.Broadcast(Batch(a), Batch(b), n), Batch(v), n);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(batch.Dims.Append(a[-2]).Append(v[-1])));
    }

    private static TensorShape Batch(TensorShape s) => new(s.Dims.SkipLast(2));

    /// <summary>The right operand of the score product as [.., D, S]: input 1, permuted by perm_b when present.</summary>
    private static TensorShape ProductRight(TensorShape b, GraphNode n) =>
        n.GetInts("perm_b") is { } perm && perm.Length == b.Rank ? new TensorShape(perm.Select(p => b[(int)p])) : b;

    private static void LowerAttention(Lowering l, GraphNode n)
    {
        string a = n.Input(0), b = n.Input(1), v = n.Input(2), y = n.Outputs[0];
        int[] sa = l.Shape(a), sb = l.Shape(b), sv = l.Shape(v), sy = l.Shape(y);
        int[] yBatch = sy[..^2];
        // B as the product sees it ([.., D, S]) with the strides of where its elements lie in input 1.
        var perm = n.GetInts("perm_b") ?? Enumerable.Range(0, sb.Length).Select(i => (long)i).ToArray();
        var inStrides = new long[sb.Length];
        for (int i = sb.Length - 1, acc = 1; i >= 0; acc *= sb[i], i--) inStrides[i] = acc;
        int[] pb = perm.Select(p => sb[(int)p]).ToArray();
        long[] stride = perm.Select(p => inStrides[(int)p]).ToArray();
        int batch = (int)Lowering.Count(yBatch), rows = sa[^2], d = sa[^1], keys = pb[^1], dv = sv[^1];
        float scale = n.GetFloat("scale", 1f);
        bool aShared = Shared(sa, yBatch, "A"), bShared = Shared(pb, yBatch, "B"), vShared = Shared(sv, yBatch, "V");
        long bBatch = bShared ? 0 : stride[^3]; // the rule only reads through perms whose batch axes flatten to this stride
        long bRow = stride[^2], bCol = stride[^1];
        l.Emit(n, [a, b, v], [y], (s, view) =>
            Attention.Run(s, batch, rows, keys, d, dv, scale, view[a].View(sa), aShared, view[b].View(sb), bBatch, bRow, bCol, view[v].View(sv), vShared, view[y].View(sy)));
    }

    /// <summary>True when the operand is one matrix for every batch entry; false when it has the output's whole batch.</summary>
    private static bool Shared(int[] shape, int[] yBatch, string what)
    {
        var batch = shape[..^2];
        if (Lowering.Count(batch) == 1) return true;
        var padded = Enumerable.Repeat(1, yBatch.Length - batch.Length).Concat(batch);
        if (padded.SequenceEqual(yBatch)) return false;
        throw new NotSupportedException($"attention operand {what} with batch [{string.Join(",", batch)}] against [{string.Join(",", yBatch)}] (only the full batch or one shared matrix)");
    }
}
