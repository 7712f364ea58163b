// PCA-whitening against its definition, computed here in plain double arithmetic: the projected training set's
// covariance must be diag(λ_i / λ'_i) with λ' = (1 − s)λ + s·mean(λ) (the identity for s = 0), the variances must
// be the covariance's eigenvalues (their sum its trace), and Apply must return the L2-normalised projections.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

public class PcaWhiteningTests
{
    private const int D = 10, N = 300;

    private static float[] Correlated(int seed)
    {
        var rng = new Random(seed);
        var mix = new double[D, D];
        for (int a = 0; a < D; a++) for (int b = 0; b < D; b++) mix[a, b] = rng.NextDouble() * 2 - 1;
        var x = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            // Independent sources with very different scales, mixed: a covariance with a wide spectrum.
            var z = Enumerable.Range(0, D).Select(j => Gaussian(rng) * Math.Pow(0.5, j)).ToArray();
            for (int a = 0; a < D; a++) x[i * D + a] = (float)(Enumerable.Range(0, D).Sum(b => mix[a, b] * z[b]) + 0.3 * a);
        }
        return x;
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static double[,] Covariance(double[][] rows)
    {
        int k = rows[0].Length;
        var mean = Enumerable.Range(0, k).Select(j => rows.Average(r => r[j])).ToArray();
        var c = new double[k, k];
        foreach (var r in rows) for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) c[a, b] += (r[a] - mean[a]) * (r[b] - mean[b]);
        for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) c[a, b] /= rows.Length - 1;
        return c;
    }

    [Theory]
    [InlineData(0.0, D)]
    [InlineData(0.5, D)]
    [InlineData(0.9, 4)]
    public void ProjectedCovarianceIsTheShrunkWhitening(double shrinkage, int k)
    {
        var x = Correlated(3);
        var w = PcaWhitening.Learn(x, D, shrinkage, k);
        var projected = Enumerable.Range(0, N).Select(i =>
            Enumerable.Range(0, k).Select(c => Enumerable.Range(0, D).Sum(j => ((double)x[i * D + j] - w.Mean[j]) * w.Projection[j * k + c])).ToArray()).ToArray();
        var cov = Covariance(projected);
        var all = PcaWhitening.Learn(x, D, 0, D).Variances; // every eigenvalue, for the mean the shrinkage uses
        Assert.Equal(w.Variances, all.Take(k).ToArray(), (p, q) => Math.Abs(p - q) < 1e-9 * all[0]);
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                double want = a != b ? 0 : w.Variances[a] / ((1 - shrinkage) * w.Variances[a] + shrinkage * all.Average());
                Assert.True(Math.Abs(cov[a, b] - want) < 1e-4 * Math.Max(1, want), $"cov[{a},{b}] = {cov[a, b]}, want {want}");
            }
        // Eigenvalues: descending, summing to the trace of the input covariance.
        var input = Covariance(Enumerable.Range(0, N).Select(i => Enumerable.Range(0, D).Select(j => (double)x[i * D + j]).ToArray()).ToArray());
        double trace = Enumerable.Range(0, D).Sum(j => input[j, j]);
        Assert.True(Math.Abs(all.Sum() - trace) < 1e-6 * trace, $"eigenvalues sum to {all.Sum()}, trace {trace}");
        Assert.Equal(all.OrderDescending(), all);
        // Apply = the projections, L2-normalised.
        var applied = w.Apply(x);
        for (int i = 0; i < N; i++)
        {
            double norm = Math.Sqrt(projected[i].Sum(v => v * v));
            for (int c = 0; c < k; c++) Assert.True(Math.Abs(projected[i][c] / norm - applied[i * k + c]) < 1e-5, $"row {i} dim {c}");
        }
    }

    [Fact]
    public void RefusesTooFewRowsAndBadShrinkage()
    {
        Assert.Throws<ArgumentException>(() => PcaWhitening.Learn(new float[D], D));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcaWhitening.Learn(new float[2 * D], D, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcaWhitening.Learn(new float[2 * D], D, 0.5, D + 1));
    }
}
