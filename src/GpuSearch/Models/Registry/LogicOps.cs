// Comparisons (Equal, Greater, Less), Not and Where, as exports use them in shape arithmetic: torch's
// `x.expand(n, -1, -1)` becomes Where(Equal(shape, -1), 1, shape) → Expand. They are evaluated on the
// host (symbolically while the batch is unknown, folded or evaluated when planning); on runtime device
// tensors there is no kernel yet, so Check refuses them before any work.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class LogicOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops()
    {
        foreach (var op in new[] { "Equal", "Greater", "Less" })
            yield return new() { OpType = op, Check = SupportRules.ShapeArithmeticOnly, Shape = InferCompare, Fold = FoldLogic, Lower = SupportRules.HostOnly };
        yield return new() { OpType = "Not", Check = SupportRules.ShapeArithmeticOnly, Shape = InferNot, Fold = FoldLogic, Lower = SupportRules.HostOnly };
        yield return new() { OpType = "Where", Check = SupportRules.ShapeArithmeticOnly, Shape = InferWhere, Fold = FoldLogic, Lower = SupportRules.HostOnly };
    }

    private static TensorShape BroadcastAll(ModelGraph g, GraphNode n)
    {
        var s = ShapeOf(g, n, 0);
        for (int i = 1; i < n.Inputs.Count; i++) s = ShapeInference.Broadcast(s, ShapeOf(g, n, i), n);
        return s;
    }

    private static void InferCompare(ModelGraph g, GraphNode n)
    {
        SetOut(g, n, 0, TensorDataType.Bool, BroadcastAll(g, n));
        SetOutInts(g, n, Elementwise(g, n, v => Compare(n.OpType, v[0], v[1])));
    }

    private static void InferNot(ModelGraph g, GraphNode n)
    {
        SetOut(g, n, 0, TensorDataType.Bool, ShapeOf(g, n, 0));
        SetOutInts(g, n, Elementwise(g, n, v => v[0] is { } b ? b == 0 ? 1 : 0 : null));
    }

    private static void InferWhere(ModelGraph g, GraphNode n)
    {
        SetOut(g, n, 0, In(g, n, 1).DataType, BroadcastAll(g, n));
        if (!In(g, n, 1).DataType.IsIntegral()) return;
        var x = IntsOf(g, n, 1); var y = IntsOf(g, n, 2);
        SetOutInts(g, n, Elementwise(g, n, v => v[0] is { } c ? (c != 0 ? v[1] : v[2]) : null, (i, k) => (i == 1 ? x : y)![k]));
    }

    /// <summary>
    /// Evaluates a 1-D (or scalar) op over the inputs' shape data. A value is null when it is a symbolic
    /// size; <paramref name="pick"/> lets Where return an input's Dim as it is (keeping the batch symbol).
    /// </summary>
    private static Dim[]? Elementwise(ModelGraph g, GraphNode n, Func<long?[], long?> eval, Func<int, int, Dim>? pick = null)
    {
        var ins = new Dim[n.Inputs.Count][];
        for (int i = 0; i < ins.Length; i++) if ((ins[i] = IntsOf(g, n, i)!) is null) return null;
        int len = ins.Max(a => a.Length);
        if (ins.Any(a => a.Length != len && a.Length != 1)) return null;
        var r = new Dim[len];
        for (int k = 0; k < len; k++)
        {
            var v = ins.Select(a => ValueOf(a[a.Length == 1 ? 0 : k])).ToArray();
            if (pick is not null && v[0] is { } c)
            {
                int src = c != 0 ? 1 : 2;
                r[k] = pick(src, ins[src].Length == 1 ? 0 : k);
                continue;
            }
            r[k] = eval(v) is { } x ? ToDim(x) : Dim.Symbolic("?");
        }
        return r;
    }

    private static long? ValueOf(Dim d) => d.Number;

    private static Dim ToDim(long v) => Dim.OfNumber(v);

    /// <summary>
    /// Comparison of two entries. A symbolic entry is a tensor size (shape data is only tracked through data
    /// movement), so it is never negative: comparing it with a negative constant is decided.
    /// </summary>
    private static long? Compare(string op, long? a, long? b)
    {
        if (a is { } x && b is { } y) return op switch { "Equal" => x == y, "Greater" => x > y, _ => x < y } ? 1 : 0;
        if (a is null && b is < 0) return op == "Greater" ? 1 : 0;
        if (b is null && a is < 0) return op == "Less" ? 1 : 0;
        return null;
    }

    /// <summary>Host evaluation on constants (any size, any dtype the inputs have).</summary>
    private static ConstTensor? FoldLogic(ModelGraph g, GraphNode n)
    {
        if (ConstantEvaluator.KnownOutDims(g, n) is not { } od) return null;
        var ins = Enumerable.Range(0, n.Inputs.Count).Select(i => ConstantEvaluator.Input(g, n, i)).ToArray();
        var map = ins.Select(c => ConstantEvaluator.BroadcastIndex(c.Dims, od)).ToArray();
        long count = ConstTensor.ElementCountOf(od);
        if (n.OpType == "Where")
        {
            ConstTensor c = ins[0], x = ins[1], y = ins[2];
            if (x.IsFloating != y.IsFloating) return null;
            if (x.IsFloating)
            {
                var f = new float[count];
                for (long i = 0; i < count; i++) f[i] = c.GetDouble(map[0](i)) != 0 ? x.Floats![map[1](i)] : y.Floats![map[2](i)];
                return ConstTensor.FromFloats(od, f, x.DataType);
            }
            var w = new long[count];
            for (long i = 0; i < count; i++) w[i] = c.GetDouble(map[0](i)) != 0 ? x.Longs![map[1](i)] : y.Longs![map[2](i)];
            return ConstTensor.FromLongs(od, w, x.DataType);
        }
        var r = new long[count];
        for (long i = 0; i < count; i++)
        {
            double a = ins[0].GetDouble(map[0](i));
            if (n.OpType == "Not") { r[i] = a == 0 ? 1 : 0; continue; }
            double b = ins[1].GetDouble(map[1](i));
            r[i] = n.OpType switch { "Equal" => a == b, "Greater" => a > b, _ => a < b } ? 1 : 0;
        }
        return ConstTensor.FromLongs(od, r, TensorDataType.Bool);
    }
}
