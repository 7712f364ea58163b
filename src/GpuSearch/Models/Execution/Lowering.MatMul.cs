// Lowering of Gemm / FusedGemm (activation applied in place after the product) and MatMul.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddMatMul(Dictionary<string, Action<Lowering, GraphNode>> h)
    {
        h["Gemm"] = (l, n) => l.LowerGemm(n, Activation.None);
        h[FusedOps.FusedGemm] = (l, n) => l.LowerGemm(n, FusedActivation(n));
        h["MatMul"] = (l, n) => l.LowerMatMul(n);
    }

    private void LowerGemm(GraphNode n, Activation act)
    {
        string a = n.Input(0), b = n.Input(1), c = n.Input(2), y = n.Outputs[0];
        int[] sa = Shape(a), sb = Shape(b);
        bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
        int m = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1], nn = tb ? sb[0] : sb[1];
        float alpha = n.GetFloat("alpha", 1f), beta = n.GetFloat("beta", 1f);
        var sc = c.Length > 0 ? Shape(c) : null;
        if (!ta && Const(b) is { IsFloating: true } bc && (c.Length == 0 || Const(c) is { IsFloating: true }))
        {
            // Constant B (a Linear layer): fold transB and alpha into a plan-time [k×n] copy, and beta·C into a
            // plan-time [m×n] residual, so the product runs on the CPU-tuned 1×1 GEMM path with the activation fused.
            var bk = $"{b}@gemm_b";
            if (!PlanConstants.ContainsKey(bk))
            {
                var src = bc.ToFloats();
                var t = new float[(long)k * nn];
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < nn; j++) t[(long)i * nn + j] = alpha * (tb ? src[(long)j * k + i] : src[(long)i * nn + j]);
                PlanConstants[bk] = ConstTensor.FromFloats([k, nn], t);
            }
            string rk = "";
            if (c.Length > 0 && beta != 0f)
            {
                rk = $"{c}@gemm_c{m}x{nn}";
                var cv = Const(c)!.ToFloats();
                var r = new float[(long)m * nn];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < nn; j++) r[(long)i * nn + j] = beta * cv[GemmCIndex(sc!, i, j)];
                PlanConstants[rk] = ConstTensor.FromFloats([m, nn], r);
            }
            Emit(n, [a, bk, rk], [y], (s, v) =>
            {
                var A = v[a]; var B = v[bk]; var Y = v[y];
                DeviceSlice? R = rk.Length > 0 ? v[rk] : null;
                MatMul.Product(s, m, nn, k, A.Buffer, A.Offset, B.Buffer, B.Offset, R?.Buffer, R?.Offset ?? 0, Y.Buffer, Y.Offset, act, Tiles);
            });
            return;
        }
        Emit(n, [a, b, c], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            (int[], Compute.DeviceBuffer, long)? C = null;
            if (sc is not null) { var cs = v[c]; C = (sc, cs.Buffer, cs.Offset); }
            MatMul.Gemm(s, m, nn, k, ta, tb, alpha, beta, A.Buffer, A.Offset, B.Buffer, B.Offset, C, Y.Buffer, Y.Offset);
            if (!act.IsNone) Broadcast.Unary(s, act, (long)m * nn, Y.Buffer, Y.Offset, Y.Buffer, Y.Offset);
        });
    }

    /// <summary>Flat index into C (shape <paramref name="cs"/>, broadcast to [m, n]) of element (i, j).</summary>
    private static long GemmCIndex(int[] cs, int i, int j) => cs.Length switch
    {
        0 => 0,
        1 => cs[0] == 1 ? 0 : j,
        _ => (cs[^2] == 1 ? 0 : (long)i * cs[^1]) + (cs[^1] == 1 ? 0 : j),
    };

    private void LowerMatMul(GraphNode n)
    {
        string a = n.Input(0), b = n.Input(1), y = n.Outputs[0];
        int[] sa = Shape(a), sb = Shape(b);
        Emit(n, [a, b], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            MatMul.Run(s, sa, A.Buffer, A.Offset, sb, B.Buffer, B.Offset, Y.Buffer, Y.Offset);
        });
    }
}
