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
        Emit(n, [a, b, c], [y], (s, v) =>
        {
            var A = v[a]; var B = v[b]; var Y = v[y];
            (int[], Compute.DeviceBuffer, long)? C = null;
            if (sc is not null) { var cs = v[c]; C = (sc, cs.Buffer, cs.Offset); }
            MatMul.Gemm(s, m, nn, k, ta, tb, alpha, beta, A.Buffer, A.Offset, B.Buffer, B.Offset, C, Y.Buffer, Y.Offset);
            if (!act.IsNone) Broadcast.Unary(s, act, (long)m * nn, Y.Buffer, Y.Offset, Y.Buffer, Y.Offset);
        });
    }

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
