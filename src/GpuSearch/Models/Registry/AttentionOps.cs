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
        TensorShape a = ShapeOf(g, n, 0), b = ShapeOf(g, n, 1), v = ShapeOf(g, n, 2);
        if (a.Rank < 2 || b.Rank < 2 || v.Rank < 2) throw new InvalidDataException($"{n.Describe()}: attention operands must be matrices, got {a}, {b}, {v}");
        if (a[-1].IsKnown && b[-2].IsKnown && a[-1].Value != b[-2].Value) throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b})");
        if (b[-1].IsKnown && v[-2].IsKnown && b[-1].Value != v[-2].Value) throw new InvalidDataException($"{n.Describe()}: key counts differ ({b} and {v})");
        var batch = ShapeInference.Broadcast(ShapeInference.Broadcast(Batch(a), Batch(b), n), Batch(v), n);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(batch.Dims.Append(a[-2]).Append(v[-1])));
    }

    private static TensorShape Batch(TensorShape s) => new(s.Dims.SkipLast(2));

    private static void LowerAttention(Lowering l, GraphNode n)
    {
        string a = n.Input(0), b = n.Input(1), v = n.Input(2), y = n.Outputs[0];
        int[] sa = l.Shape(a), sb = l.Shape(b), sv = l.Shape(v), sy = l.Shape(y);
        int[] yBatch = sy[..^2];
        int batch = (int)Lowering.Count(yBatch), rows = sa[^2], d = sa[^1], keys = sb[^1], dv = sv[^1];
        float scale = n.GetFloat("scale", 1f);
        bool aShared = Shared(sa, yBatch, "A"), bShared = Shared(sb, yBatch, "B"), vShared = Shared(sv, yBatch, "V");
        l.Emit(n, [a, b, v], [y], (s, view) =>
            Attention.Run(s, batch, rows, keys, d, dv, scale, view[a].View(sa), aShared, view[b].View(sb), bShared, keys, 1, view[v].View(sv), vShared, view[y].View(sy)));
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
