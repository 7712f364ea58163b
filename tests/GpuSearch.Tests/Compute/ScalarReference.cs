// Plain scalar C# references for the foundation kernels: deliberately naive loops (no SIMD, no
// blocking), in double where the kernel accumulates, so they are easy to trust.
using GpuSearch.Models.Ops;

namespace GpuSearch.Tests.Compute;

internal static class ScalarReference
{
    public static float Unary(ActivationKind op, float x) => op switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => x > 0 ? x : 0,
        ActivationKind.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-x))),
        ActivationKind.Tanh => (float)Math.Tanh(x),
        ActivationKind.Exp => (float)Math.Exp(x),
        ActivationKind.Sqrt => (float)Math.Sqrt(x),
        ActivationKind.Abs => Math.Abs(x),
        ActivationKind.Neg => -x,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static float Binary(BroadcastOp op, float a, float b) => op switch
    {
        BroadcastOp.Add => a + b,
        BroadcastOp.Sub => a - b,
        BroadcastOp.Mul => a * b,
        BroadcastOp.Div => a / b,
        BroadcastOp.Max => Math.Max(a, b),
        BroadcastOp.Min => Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static float[] ReduceRows(AxisReduceOp op, float[] x, int rows, int cols)
    {
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double acc = op switch { AxisReduceOp.Max => double.NegativeInfinity, AxisReduceOp.Min => double.PositiveInfinity, _ => 0 };
            for (int c = 0; c < cols; c++)
            {
                double v = x[(long)r * cols + c];
                acc = op switch
                {
                    AxisReduceOp.Max => Math.Max(acc, v),
                    AxisReduceOp.Min => Math.Min(acc, v),
                    AxisReduceOp.SumSquare or AxisReduceOp.L2 => acc + v * v,
                    _ => acc + v,
                };
            }
            y[r] = (float)(op switch { AxisReduceOp.L2 => Math.Sqrt(acc), AxisReduceOp.Mean => acc / cols, _ => acc });
        }
        return y;
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C in double; also returns Σ|a||b| per element for error bounds.</summary>
    public static (float[] C, double[] Magnitude) Gemm(int m, int n, int k, float[] a, float[] b, float[] c0,
        float alpha, float beta, bool transA, bool transB)
    {
        var c = new float[m * n];
        var mag = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0, absAcc = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    acc += av * bv;
                    absAcc += Math.Abs(av * bv);
                }
                c[i * n + j] = (float)(alpha * acc + (beta == 0 ? 0 : beta * c0[i * n + j]));
                mag[i * n + j] = Math.Abs(alpha) * absAcc + Math.Abs(beta * c0[i * n + j]);
            }
        return (c, mag);
    }
}
