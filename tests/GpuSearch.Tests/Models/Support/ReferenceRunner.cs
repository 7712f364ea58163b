// Test-only naive CPU interpreter for the few ops the optimizer tests need (Conv, FusedConv, BatchNorm,
// activations, Add/Mul/Div, Erf, Gelu, Gemm, MatMul, FusedMatMul, Flatten). Plain loops: it is the yardstick that
// folded and fused graphs are compared against, so it must be obviously right rather than fast.
using GpuSearch.Models.Graph;

namespace GpuSearch.Tests.Models.Support;

internal static class ReferenceRunner
{
    /// <summary>Runs <paramref name="g"/> on the host; returns every graph output by name.</summary>
    public static Dictionary<string, (long[] dims, float[] data)> Run(ModelGraph g, Dictionary<string, (long[] dims, float[] data)> inputs)
    {
        var env = new Dictionary<string, (long[] dims, float[] data)>(inputs);
        foreach (var (k, v) in g.Values) if (v.Constant is { } c) env[k] = (c.Dims, c.ToFloats());
        g.TopologicalSort();
        foreach (var n in g.Nodes) env[n.Outputs[0]] = Eval(n, i => env[n.Inputs[i]], i => n.HasInput(i));
        return g.Outputs.ToDictionary(o => o, o => env[o]);
    }

    private static (long[], float[]) Eval(GraphNode n, Func<int, (long[] dims, float[] data)> input, Func<int, bool> has)
    {
        if (n.OpType == "Constant")
        {
            var c = n.Attributes["value"].T!;
            return (c.Dims, c.ToFloats());
        }
        var x = input(0);
        switch (n.OpType)
        {
            case "Sqrt": return Map(x, MathF.Sqrt);
            case "Conv":
            case "FusedConv":
                var y = Conv(x, input(1), has(2) ? input(2).data : null, n);
                if (n.OpType == "FusedConv")
                {
                    var act = FusedOps.ActivationOf(n);
                    float a = n.GetFloat(FusedOps.AlphaAttr, 0), b = n.GetFloat(FusedOps.BetaAttr, 0);
                    var r = has(3) ? input(3).data : null;
                    for (int i = 0; i < y.data.Length; i++) y.data[i] = FusedOps.Apply(act, y.data[i] + (r?[i] ?? 0), a, b);
                }
                return y;
            case "BatchNormalization":
            {
                float eps = n.GetFloat("epsilon", 1e-5f);
                var (sc, bi, me, va) = (input(1).data, input(2).data, input(3).data, input(4).data);
                long c = x.dims[1], hw = x.data.Length / x.dims[0] / c;
                var o = new float[x.data.Length];
                for (int i = 0; i < o.Length; i++) { long ch = i / hw % c; o[i] = (float)((x.data[i] - me[ch]) / Math.Sqrt(va[ch] + eps) * sc[ch] + bi[ch]); }
                return (x.dims, o);
            }
            case "Relu": return Map(x, v => MathF.Max(v, 0));
            case "Sigmoid": return Map(x, v => FusedOps.Apply("Sigmoid", v, 0, 0));
            case "HardSwish": return Map(x, v => FusedOps.Apply("HardSwish", v, 0, 0));
            case "Tanh": return Map(x, MathF.Tanh);
            case "LeakyRelu": return Map(x, v => FusedOps.Apply("LeakyRelu", v, n.GetFloat("alpha", 0.01f), 0));
            case "HardSigmoid": return Map(x, v => FusedOps.Apply("HardSigmoid", v, n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f)));
            case "Identity" or "Dropout": return x;
            case "Erf": return Map(x, FusedOps.Erf);
            case "Gelu": return Map(x, v => FusedOps.Apply(n.GetString("approximate", "none") == "tanh" ? "GeluTanh" : "Gelu", v, 0, 0));
            case "Clip":
                float lo = has(1) ? input(1).data[0] : n.GetFloat("min", float.NegativeInfinity);
                float hi = has(2) ? input(2).data[0] : n.GetFloat("max", float.PositiveInfinity);
                return Map(x, v => MathF.Min(MathF.Max(v, lo), hi));
            case "Add" or "Mul" or "Div" or "Sub" or "Pow":
            {
                var b = input(1);
                // Numpy broadcasting; the output takes the larger operand's shape (tests never grow both).
                var (big, small, swap) = x.data.Length >= b.data.Length ? (x, b, false) : (b, x, true);
                var o = new float[big.data.Length];
                for (int i = 0; i < o.Length; i++)
                {
                    float p = big.data[i], q = small.data[BroadcastIndex(i, big.dims, small.dims)];
                    if (swap) (p, q) = (q, p);
                    o[i] = n.OpType switch { "Add" => p + q, "Mul" => p * q, "Sub" => p - q, "Pow" => MathF.Pow(p, q), _ => p / q };
                }
                return (big.dims, o);
            }
            case "ReduceMean":
            {
                // Tests reduce the last axis only (keepdims).
                long last = x.dims[^1], rows = x.data.Length / last;
                var o = new float[rows];
                for (long r = 0; r < rows; r++) { double s = 0; for (long k = 0; k < last; k++) s += x.data[r * last + k]; o[r] = (float)(s / last); }
                return ([.. x.dims[..^1], 1], o);
            }
            case "LayerNormalization":
            {
                long last = x.dims[^1], rows = x.data.Length / last;
                float eps = n.GetFloat("epsilon", 1e-5f);
                var (gm, bt) = (input(1).data, has(2) ? input(2).data : null);
                var o = new float[x.data.Length];
                for (long r = 0; r < rows; r++)
                {
                    double mean = 0, v = 0;
                    for (long k = 0; k < last; k++) mean += x.data[r * last + k];
                    mean /= last;
                    for (long k = 0; k < last; k++) v += Math.Pow(x.data[r * last + k] - mean, 2);
                    v /= last;
                    for (long k = 0; k < last; k++) o[r * last + k] = (float)((x.data[r * last + k] - mean) / Math.Sqrt(v + eps) * gm[k] + (bt?[k] ?? 0));
                }
                return (x.dims, o);
            }
            case "Flatten": return ([x.dims[0], x.data.Length / x.dims[0]], x.data);
            case "FusedMatMul":
            {
                // act(A·W + B + R) with A's leading dims as rows.
                var w = input(1);
                long k = x.dims[^1], nn = w.dims[1], m = x.data.Length / k;
                var (b, r) = (input(2).data, has(3) ? input(3).data : null);
                var o = new float[m * nn];
                for (long i = 0; i < m; i++)
                    for (long j = 0; j < nn; j++)
                    {
                        double s = b[j] + (r?[i * nn + j] ?? 0);
                        for (long t = 0; t < k; t++) s += x.data[i * k + t] * w.data[t * nn + j];
                        o[i * nn + j] = FusedOps.Apply(FusedOps.ActivationOf(n), (float)s, n.GetFloat(FusedOps.AlphaAttr, 0), n.GetFloat(FusedOps.BetaAttr, 0));
                    }
                return ([.. x.dims[..^1], nn], o);
            }
            case "MatMul" when x.dims.Length > 2:
            {
                var w = input(1);
                long k = x.dims[^1], nn = w.dims[1], m = x.data.Length / k;
                var o = new float[m * nn];
                for (long i = 0; i < m; i++)
                    for (long j = 0; j < nn; j++) { double s = 0; for (long t = 0; t < k; t++) s += x.data[i * k + t] * w.data[t * nn + j]; o[i * nn + j] = (float)s; }
                return ([.. x.dims[..^1], nn], o);
            }
            case "Gemm" or "FusedGemm" or "MatMul":
            {
                var w = input(1);
                long m = x.dims[0], k = x.dims[1], nn = w.dims[1];
                var o = new float[m * nn];
                for (long i = 0; i < m; i++)
                    for (long j = 0; j < nn; j++)
                    {
                        double s = 0;
                        for (long t = 0; t < k; t++) s += x.data[i * k + t] * w.data[t * nn + j];
                        if (n.OpType != "MatMul" && has(2)) s += input(2).data[j];
                        o[i * nn + j] = n.OpType == "FusedGemm" ? FusedOps.Apply(FusedOps.ActivationOf(n), (float)s, n.GetFloat(FusedOps.AlphaAttr, 0), n.GetFloat(FusedOps.BetaAttr, 0)) : (float)s;
                    }
                return ([m, nn], o);
            }
            default: throw new NotSupportedException($"reference runner has no {n.OpType}");
        }
    }

    /// <summary>Flat index into a broadcast operand of shape <paramref name="small"/> for flat output index <paramref name="i"/>.</summary>
    private static long BroadcastIndex(long i, long[] big, long[] small)
    {
        long idx = 0, stride = 1;
        for (int k = big.Length - 1, s = small.Length - 1; k >= 0; k--, s--)
        {
            long c = i % big[k]; i /= big[k];
            if (s < 0) continue;
            if (small[s] != 1) idx += c * stride;
            stride *= small[s];
        }
        return idx;
    }

    private static (long[], float[]) Map((long[] dims, float[] data) x, Func<float, float> f) => (x.dims, x.data.Select(f).ToArray());

    /// <summary>Naive 2-D convolution, NCHW, with groups, strides, dilations and explicit pads (auto_pad NOTSET).</summary>
    public static (long[] dims, float[] data) Conv((long[] dims, float[] data) x, (long[] dims, float[] data) w, float[]? bias, GraphNode n)
    {
        long N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
        long M = w.dims[0], Cg = w.dims[1], KH = w.dims[2], KW = w.dims[3];
        long group = n.GetInt("group", 1);
        var st = n.GetInts("strides") ?? [1, 1]; var dl = n.GetInts("dilations") ?? [1, 1]; var pd = n.GetInts("pads") ?? [0, 0, 0, 0];
        long OH = (H + pd[0] + pd[2] - ((KH - 1) * dl[0] + 1)) / st[0] + 1;
        long OW = (W + pd[1] + pd[3] - ((KW - 1) * dl[1] + 1)) / st[1] + 1;
        var o = new float[N * M * OH * OW];
        long Mg = M / group;
        for (long b = 0; b < N; b++)
            for (long m = 0; m < M; m++)
                for (long oh = 0; oh < OH; oh++)
                    for (long ow = 0; ow < OW; ow++)
                    {
                        double s = bias?[m] ?? 0;
                        long g0 = m / Mg;
                        for (long c = 0; c < Cg; c++)
                            for (long kh = 0; kh < KH; kh++)
                                for (long kw = 0; kw < KW; kw++)
                                {
                                    long ih = oh * st[0] - pd[0] + kh * dl[0], iw = ow * st[1] - pd[1] + kw * dl[1];
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    s += x.data[((b * C + g0 * Cg + c) * H + ih) * W + iw] * w.data[((m * Cg + c) * KH + kh) * KW + kw];
                                }
                        o[((b * M + m) * OH + oh) * OW + ow] = (float)s;
                    }
        return ([N, M, OH, OW], o);
    }
}
