// Plain scalar C# reference for the foundation GEMM: a deliberately naive loop (no SIMD, no blocking), in double, so
// it is easy to trust. The elementwise and reduce kernels share the model ops' code tables and their references
// (Models/CnnReference).
namespace GpuSearch.Tests.Compute;

internal static class ScalarReference
{
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
