// Matrix products: Gemm (2-D, transA/transB, alpha/beta, broadcast C), the optimizer's FusedGemm (Gemm +
// activation epilogue) and FusedMatMul (a Linear layer with bias, residual and activation epilogue), and MatMul
// (numpy batching and broadcasting). A constant B runs with alpha and transB folded in when planning: on
// kernels/linear.cl when C is a per-column bias (the Linear layer), else on the tuned 1×1 conv GEMM path with
// beta·C as a plan-time residual.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using BroadcastKernel = GpuSearch.Models.Ops.Broadcast;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class MatMulOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Gemm", Check = CheckGemm, Shape = InferGemm, Lower = (l, n) => LowerGemm(l, n, Activation.None) },
        new() { OpType = FusedOps.FusedGemm, Check = CheckGemm, Shape = InferGemm, Lower = (l, n) => LowerGemm(l, n, Lowering.FusedActivation(n)) },
        new() { OpType = FusedOps.FusedMatMul, Check = CheckFusedMatMul, Shape = InferMatMul, Lower = LowerFusedMatMul },
        new() { OpType = "MatMul", Shape = InferMatMul, Lower = LowerMatMul },
    ];

    private static string? CheckGemm(ModelGraph g, GraphNode n) =>
        AttributeRanges.First(AttributeRanges.Flag(n, "transA"), AttributeRanges.Flag(n, "transB"));

    private static void InferGemm(ModelGraph g, GraphNode n)
    {
        var a = ShapeOf(g, n, 0); var b = ShapeOf(g, n, 1);
        if (a.Rank != 2 || b.Rank != 2) throw new InvalidDataException($"{n.Describe()}: Gemm needs 2-D inputs, got {a} and {b}");
        bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
        Dim m = ta ? a[1] : a[0], k1 = ta ? a[0] : a[1], k2 = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (k1.IsKnown && k2.IsKnown && k1.Value != k2.Value)
            throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b}, transA={ta}, transB={tb})");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape([m, nn]));
    }

    private static void InferMatMul(ModelGraph g, GraphNode n)
    {
        var a = ShapeOf(g, n, 0); var b = ShapeOf(g, n, 1);
        if (a.Rank == 0 || b.Rank == 0) throw new InvalidDataException($"{n.Describe()}: MatMul inputs must not be scalars");
        // numpy.matmul: 1-D operands are promoted then the added dim is removed again.
        var a2 = a.Rank == 1 ? new TensorShape([Dim.Known(1), a[0]]) : a;
        var b2 = b.Rank == 1 ? new TensorShape([b[0], Dim.Known(1)]) : b;
        if (a2[-1].IsKnown && b2[-2].IsKnown && a2[-1].Value != b2[-2].Value)
            throw new InvalidDataException($"{n.Describe()}: inner dimensions differ ({a} × {b})");
        var batch = ShapeInference.Broadcast(new TensorShape(a2.Dims.SkipLast(2)), new TensorShape(b2.Dims.SkipLast(2)), n);
        var dims = batch.Dims.ToList();
        if (a.Rank > 1) dims.Add(a2[-2]);
        if (b.Rank > 1) dims.Add(b2[-1]);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
    }

    private static void LowerGemm(Lowering l, GraphNode n, Activation act)
    {
        string a = n.Input(0), b = n.Input(1), c = n.Input(2), y = n.Outputs[0];
        int[] sa = l.Shape(a), sb = l.Shape(b);
        bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
        int m = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1], nn = tb ? sb[0] : sb[1];
        float alpha = n.GetFloat("alpha", 1f), beta = n.GetFloat("beta", 1f);
        var sc = c.Length > 0 ? l.Shape(c) : null;
        if (!ta && l.Const(b) is { IsFloating: true } bc && (c.Length == 0 || l.Const(c) is { IsFloating: true }))
        {
            // Constant B (a Linear layer): fold transB and alpha into a [k×n] copy made once per session on the device
            // (WeightStore.GetDerived, shared by every plan, no host copy kept), and beta·C into a plan-time [m×n]
            // residual, so the product runs on the CPU-tuned 1×1 GEMM path with the activation fused.
            var bk = $"{b}@gemm_b{(tb ? "t" : "")}{alpha}";
            float[] MakeB()
            {
                var src = bc.ToFloats();
                var t = new float[(long)k * nn];
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < nn; j++) t[(long)i * nn + j] = alpha * (tb ? src[(long)j * k + i] : src[(long)i * nn + j]);
                return t;
            }
            if (c.Length > 0 && beta != 0f && sc!.Length >= 1 && sc[^1] == nn && sc.SkipLast(1).All(d => d == 1))
            {
                // A per-column bias (Linear): the epilogue adds it, no [m×n] plan constant.
                var ck = $"{c}@gemm_bias{beta}";
                if (!l.PlanConstants.ContainsKey(ck)) l.PlanConstants[ck] = ConstTensor.FromFloats([nn], l.Const(c)!.ToFloats().Select(v => beta * v).ToArray());
                l.Emit(n, [a, ck], [y], (s, v) => Linear.Run(s, m, nn, k, v[a].View([m, k]), v.Derived(bk, MakeB).View([k, nn]), v[ck].View([nn]), null,
                    v[y].View([m, nn]), act, l.Tiles));
                return;
            }
            string rk = "";
            if (c.Length > 0 && beta != 0f)
            {
                rk = $"{c}@gemm_c{m}x{nn}";
                var cv = l.Const(c)!.ToFloats();
                var r = new float[(long)m * nn];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < nn; j++) r[(long)i * nn + j] = beta * cv[GemmCIndex(sc!, i, j)];
                l.PlanConstants[rk] = ConstTensor.FromFloats([m, nn], r);
            }
            l.Emit(n, [a, rk], [y], (s, v) =>
            {
                var A = v[a]; var B = v.Derived(bk, MakeB); var Y = v[y];
                DeviceSlice? R = rk.Length > 0 ? v[rk] : null;
                MatMul.Product(s, m, nn, k, A.Buffer, A.Offset, B.Buffer, B.Offset, R?.Buffer, R?.Offset ?? 0, Y.Buffer, Y.Offset, act, l.Tiles);
            });
            return;
        }
        l.Emit(n, [a, b, c], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            (int[], Compute.DeviceBuffer, long)? C = null;
            if (sc is not null) { var cs = v[c]; C = (sc, cs.Buffer, cs.Offset); }
            MatMul.Gemm(s, m, nn, k, ta, tb, alpha, beta, A.Buffer, A.Offset, B.Buffer, B.Offset, C, Y.Buffer, Y.Offset);
            if (!act.IsNone) BroadcastKernel.Unary(s, act, Y.View([m, nn]), Y.View([m, nn]));
        });
    }

    /// <summary>Flat index into C (shape <paramref name="cs"/>, broadcast to [m, n]) of element (i, j).</summary>
    private static long GemmCIndex(int[] cs, int i, int j) => cs.Length switch
    {
        0 => 0,
        1 => cs[0] == 1 ? 0 : j,
        _ => (cs[^2] == 1 ? 0 : (long)i * cs[^1]) + (cs[^1] == 1 ? 0 : j),
    };

    private static string? CheckFusedMatMul(ModelGraph g, GraphNode n) =>
        g.ConstantOf(n.Input(1)) is not { Dims.Length: 2 } w ? $"input 1 ('{n.Input(1)}') must be a constant 2-D weight"
        : g.ConstantOf(n.Input(2)) is not { } b || b.ElementCount != w.Dims[1] ? $"input 2 ('{n.Input(2)}') must be a constant bias of {w.Dims[1]} elements"
        : null;

    private static void LowerFusedMatMul(Lowering l, GraphNode n)
    {
        string a = n.Input(0), w = n.Input(1), b = n.Input(2), r = n.Input(FusedOps.ResidualInput), y = n.Outputs[0];
        int[] sa = l.Shape(a), sw = l.Shape(w);
        int k = sa[^1], nn = sw[1], m = checked((int)OpCheck.Count(sa.AsSpan(0, sa.Length - 1)));
        var act = Lowering.FusedActivation(n);
        l.Emit(n, [a, w, b, r], [y], (s, v) => Linear.Run(s, m, nn, k, v[a].View([m, k]), v[w].View([k, nn]), v[b].View([nn]),
            r.Length > 0 ? v[r].View([m, nn]) : null, v[y].View([m, nn]), act, l.Tiles));
    }

    private static void LowerMatMul(Lowering l, GraphNode n)
    {
        string a = n.Input(0), b = n.Input(1), y = n.Outputs[0];
        int[] sa = l.Shape(a), sb = l.Shape(b);
        l.Emit(n, [a, b], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            MatMul.Run(s, sa, A.Buffer, A.Offset, sb, B.Buffer, B.Offset, Y.Buffer, Y.Offset);
        });
    }
}
