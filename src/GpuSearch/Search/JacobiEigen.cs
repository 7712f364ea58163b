// Cyclic Jacobi rotations: the eigensolver SymmetricEigen replaced, kept as the slow, simple and independent
// reference it is checked against (SymmetricEigenTests) and measured against (`gpusearch-bench whiten`). Many n³
// sweeps, so never on a serving path.
namespace GpuSearch.Search;

/// <summary>Eigenvalues and eigenvectors of a real symmetric matrix by cyclic Jacobi rotations (reference only).</summary>
internal static class JacobiEigen
{
    /// <summary>Sweeps until the off-diagonal mass is below 1e-26 of the total; eigenpairs unsorted, vectors as columns.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n) throw new ArgumentException($"the matrix must be square, it is {n}×{matrix.GetLength(1)}", nameof(matrix));
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, total = 0;
            for (int p = 0; p < n; p++) for (int q = 0; q < n; q++) { total += a[p, q] * a[p, q]; if (p != q) off += a[p, q] * a[p, q]; }
            if (off <= 1e-26 * Math.Max(total, 1e-300)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = theta == 0 ? 1 : Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) { double akp = a[k, p], akq = a[k, q]; a[k, p] = c * akp - s * akq; a[k, q] = s * akp + c * akq; }
                    for (int k = 0; k < n; k++) { double apk = a[p, k], aqk = a[q, k]; a[p, k] = c * apk - s * aqk; a[q, k] = s * apk + c * aqk; }
                    for (int k = 0; k < n; k++) { double vkp = v[k, p], vkq = v[k, q]; v[k, p] = c * vkp - s * vkq; v[k, q] = s * vkp + c * vkq; }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i, i];
        return (values, v);
    }
}
