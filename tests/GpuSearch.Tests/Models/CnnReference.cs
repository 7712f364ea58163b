// Plain scalar C# references for the CNN op kernels: naive loops in double, straight from the ONNX
// operator definitions, deliberately without blocking or index tricks so they are easy to trust.
using GpuSearch.Models.Ops;

namespace GpuSearch.Tests.Models;

internal static class CnnReference
{
    public static double Act(Activation a, double x) => a.Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => Math.Max(x, 0),
        ActivationKind.LeakyRelu => x >= 0 ? x : a.Alpha * x,
        ActivationKind.Clip => double.IsNaN(x) ? x : Math.Min(Math.Max(x, a.Alpha), a.Beta),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.HardSigmoid => Math.Max(0, Math.Min(1, a.Alpha * x + a.Beta)),
        ActivationKind.HardSwish => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        ActivationKind.Silu => x / (1 + Math.Exp(-x)),
        ActivationKind.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.Erf => Erf(x),
        ActivationKind.Sqrt => Math.Sqrt(x),
        ActivationKind.Exp => Math.Exp(x),
        ActivationKind.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        ActivationKind.Neg => -x,
        ActivationKind.Abs => Math.Abs(x),
        ActivationKind.Reciprocal => 1 / x,
        ActivationKind.Log => Math.Log(x),
        ActivationKind.RoundToHalf => (double)(Half)(float)x,
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>erf by its Maclaurin series (|x| &lt; 3) or the asymptotic continued fraction: double-accurate to ~1e-15.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        var ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -ax * ax / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(x) = exp(-x²)/(x√π) · 1/(1 + 1/(2x²)/(1 + 2/(2x²)/(1 + ...))) via a continued fraction.
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    public static double[] Conv(Conv2dShape s, float[] x, float[] w, float[]? bias, float[]? res, Activation act)
    {
        int oh = s.OutHeight, ow = s.OutWidth, cg = s.InChannels / s.Group, mg = s.OutChannels / s.Group;
        var y = new double[s.OutputCount];
        for (int b = 0; b < s.Batch; b++)
            for (int m = 0; m < s.OutChannels; m++)
            {
                int g = m / mg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = bias?[m] ?? 0;
                        for (int c = 0; c < cg; c++)
                            for (int kh = 0; kh < s.KernelH; kh++)
                                for (int kw = 0; kw < s.KernelW; kw++)
                                {
                                    int ih = i * s.StrideH - s.PadTop + kh * s.DilationH, iw = j * s.StrideW - s.PadLeft + kw * s.DilationW;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                                    acc += (double)w[(((long)m * cg + c) * s.KernelH + kh) * s.KernelW + kw]
                                         * x[(((long)b * s.InChannels + g * cg + c) * s.Height + ih) * s.Width + iw];
                                }
                        long o = (((long)b * s.OutChannels + m) * oh + i) * ow + j;
                        if (res is not null) acc += res[o];
                        y[o] = Act(act, acc);
                    }
            }
        return y;
    }

    public static double[] Pool(Pool2dShape s, float[] x, bool max, bool includePad)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var y = new double[(long)s.Batch * s.Channels * oh * ow];
        for (long nc = 0; nc < (long)s.Batch * s.Channels; nc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    int count = 0, padded = 0;
                    for (int kh = 0; kh < s.KernelH; kh++)
                        for (int kw = 0; kw < s.KernelW; kw++)
                        {
                            int ih = i * s.StrideH - s.PadTop + kh * s.DilationH, iw = j * s.StrideW - s.PadLeft + kw * s.DilationW;
                            // Positions inside the padded input count for count_include_pad; beyond it (ceil_mode) never.
                            if (ih < s.Height + s.PadBottom && iw < s.Width + s.PadRight) padded++;
                            if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                            double v = x[(nc * s.Height + ih) * s.Width + iw];
                            acc = max ? Math.Max(acc, v) : acc + v;
                            count++;
                        }
                    y[(nc * oh + i) * ow + j] = max ? acc : acc / (includePad ? padded : count);
                }
        return y;
    }

    /// <summary>Element index → multi-index of a row-major shape.</summary>
    public static int[] Unravel(long i, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = (int)(i % shape[d]); i /= shape[d]; }
        return idx;
    }

    /// <summary>Multi-index → element index, reading broadcast (size-1) axes at 0, right-aligned.</summary>
    public static long RavelBroadcast(int[] idx, int[] shape)
    {
        long o = 0;
        int lead = idx.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) o = o * shape[d] + (shape[d] == 1 ? 0 : idx[lead + d]);
        return o;
    }

    public static double Binary(BroadcastOp op, double a, double b) => op switch
    {
        BroadcastOp.Add => a + b,
        BroadcastOp.Sub => a - b,
        BroadcastOp.Mul => a * b,
        BroadcastOp.Div => a / b,
        BroadcastOp.Pow => Math.Pow(a, b),
        BroadcastOp.Max => Math.Max(a, b),
        BroadcastOp.Min => Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static double[] Softmax(float[] x, int outer, int axis, int inner, bool log)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity, s = 0;
                for (int a = 0; a < axis; a++) m = Math.Max(m, x[((long)o * axis + a) * inner + i]);
                for (int a = 0; a < axis; a++) s += Math.Exp(x[((long)o * axis + a) * inner + i] - m);
                for (int a = 0; a < axis; a++)
                {
                    var v = x[((long)o * axis + a) * inner + i] - m;
                    y[((long)o * axis + a) * inner + i] = log ? v - Math.Log(s) : Math.Exp(v) / s;
                }
            }
        return y;
    }

    public static double[] Reduce(AxisReduceOp op, float[] x, int[] shape, int[] axes, out int[] outShape)
    {
        var set = axes.Length == 0 ? Enumerable.Range(0, shape.Length).ToHashSet() : axes.Select(a => a < 0 ? a + shape.Length : a).ToHashSet();
        outShape = shape.Select((d, i) => set.Contains(i) ? 1 : d).ToArray();
        long n = outShape.Aggregate(1L, (a, d) => a * d);
        var acc = new double[n];
        var cnt = new long[n];
        if (op == AxisReduceOp.Max) Array.Fill(acc, double.NegativeInfinity);
        if (op == AxisReduceOp.Min) Array.Fill(acc, double.PositiveInfinity);
        for (long i = 0; i < x.Length; i++)
        {
            var idx = Unravel(i, shape);
            long o = RavelBroadcast(idx, outShape);
            double v = x[i];
            acc[o] = op switch
            {
                AxisReduceOp.Max => Math.Max(acc[o], v),
                AxisReduceOp.Min => Math.Min(acc[o], v),
                AxisReduceOp.L2 or AxisReduceOp.SumSquare => acc[o] + v * v,
                _ => acc[o] + v,
            };
            cnt[o]++;
        }
        for (long o = 0; o < n; o++)
            acc[o] = op == AxisReduceOp.Mean ? acc[o] / cnt[o] : op == AxisReduceOp.L2 ? Math.Sqrt(acc[o]) : acc[o];
        return acc;
    }

    public static double[] MatMul(float[] a, float[] b, int batchA, int batchB, int m, int n, int k)
    {
        int batch = Math.Max(batchA, batchB);
        var y = new double[(long)batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int p = 0; p < k; p++)
                        acc += (double)a[((long)(batchA == 1 ? 0 : t) * m + i) * k + p] * b[((long)(batchB == 1 ? 0 : t) * k + p) * n + j];
                    y[((long)t * m + i) * n + j] = acc;
                }
        return y;
    }
}
