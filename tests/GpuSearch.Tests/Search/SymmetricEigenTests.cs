// The Householder + implicit-QL eigensolver against an independent scalar reference (cyclic Jacobi rotations, the
// solver it replaced: Search/JacobiEigen), and the device-GEMM covariance against the double-precision host sum: on random
// symmetric matrices, repeated eigenvalues, rank-deficient covariances (a gallery smaller than the dimension) and
// the corner sizes 1 and 2.
using GpuSearch.Search;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Search;

public class SymmetricEigenTests(ITestOutputHelper output)
{
    private static double[,] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i, j] = a[j, i] = rng.NextDouble() * 2 - 1;
        return a;
    }

    /// <summary>Q·diag(values)·Qᵀ for a random orthogonal Q (Gram–Schmidt of a random matrix).</summary>
    private static double[,] WithSpectrum(double[] values, int seed)
    {
        int n = values.Length;
        var rng = new Random(seed);
        var q = new double[n][];
        for (int c = 0; c < n; c++)
        {
            var v = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += v[i] * q[p][i];
                for (int i = 0; i < n; i++) v[i] -= dot * q[p][i];
            }
            double norm = Math.Sqrt(v.Sum(x => x * x));
            q[c] = v.Select(x => x / norm).ToArray();
        }
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int c = 0; c < n; c++) a[i, j] += q[c][i] * values[c] * q[c][j];
        return a;
    }

    private static double[,] LowRankCovariance(int d, int rows, int seed)
    {
        var rng = new Random(seed);
        var x = new float[rows * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() - 0.5 + (i % d) * 0.01);
        return PcaWhitening.HostCovariance(x, d, rows).Covariance;
    }

    public static TheoryData<string> Cases() => ["random-1", "random-2", "random-3", "random-17", "random-64", "repeated-12", "lowrank-48", "zero-5"];

    private static double[,] Case(string name)
    {
        var parts = name.Split('-');
        int n = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        return parts[0] switch
        {
            "random" => RandomSymmetric(n, n),
            "repeated" => WithSpectrum([.. Enumerable.Repeat(2.0, 5), .. Enumerable.Repeat(-1.0, 4), 0, 0, 7], 5),
            "lowrank" => LowRankCovariance(n, 20, 9), // 20 rows in 48 dims: rank 19, the rest exactly degenerate
            _ => new double[n, n],
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EigenpairsMatchTheJacobiReferenceAndTheDefinition(string name)
    {
        var a = Case(name);
        int n = a.GetLength(0);
        var (values, vectors) = SymmetricEigen.Decompose(a);
        var (refValues, _) = JacobiEigen.Decompose(a);
        double scale = Math.Max(1e-300, refValues.Max(Math.Abs));
        var got = values.Order().ToArray();
        var want = refValues.Order().ToArray();
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-10 * scale + 1e-300, $"{name}: eigenvalue {i}: {got[i]} vs Jacobi {want[i]}");
        for (int c = 0; c < n; c++)
        {
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i, j] * vectors[j, c];
                Assert.True(Math.Abs(av - values[c] * vectors[i, c]) <= 1e-10 * Math.Max(scale, 1), $"{name}: A·v ≠ λ·v for pair {c}, row {i}");
            }
            for (int c2 = c; c2 < n; c2++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += vectors[i, c] * vectors[i, c2];
                Assert.True(Math.Abs(dot - (c == c2 ? 1 : 0)) < 1e-10, $"{name}: vectors {c} and {c2} not orthonormal ({dot})");
            }
        }
    }

    [Fact]
    public void RefusesNonSquareAndNonFinite()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[2, 3]));
        var a = RandomSymmetric(3, 1);
        a[1, 2] = double.NaN;
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(a));
    }

    [Fact]
    public void DeviceCovarianceMatchesTheHostSumInDouble()
    {
        const int d = 40, n = 300;
        var rng = new Random(3);
        var x = new float[n * d];
        // A large common offset: centring must happen before the fp32 products, or the covariance drowns in rounding.
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) x[i * d + j] = (float)(50 + j + (rng.NextDouble() - 0.5) * (1 + j % 5) + (j > 0 ? 0.5 * x[i * d + j - 1] - 25 - j / 2.0 : 0));
        var (hostMean, host) = PcaWhitening.HostCovariance(x, d, n);
        var (devMean, dev) = DeviceCovariance.Compute(Devices.Cpu, x, d, blockRows: 128); // 3 blocks, the last partial
        double worst = 0, largest = 0;
        for (int a = 0; a < d; a++)
        {
            Assert.Equal(hostMean[a], devMean[a], 12);
            for (int b = 0; b < d; b++)
            {
                worst = Math.Max(worst, Math.Abs(host[a, b] - dev[a, b]));
                largest = Math.Max(largest, Math.Abs(host[a, b]));
                Assert.Equal(dev[a, b], dev[b, a]);
            }
        }
        output.WriteLine($"device vs host covariance: max |diff| {worst:E2} of max |cov| {largest:F3}");
        Assert.True(worst <= 1e-5 * largest, $"max |diff| {worst} vs {largest}");
    }

    [Fact]
    public void WhiteningLearnedOnTheDeviceEqualsTheHostOne()
    {
        const int d = 24, n = 200;
        var rng = new Random(8);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() - 0.5) * (1 + i % d));
        var host = PcaWhitening.Learn(x, d, 0.3, 16);
        var device = PcaWhitening.Learn(Devices.Cpu, x, d, 0.3, 16);
        var a = host.Apply(x.AsSpan(0, 10 * d));
        var b = device.Apply(x.AsSpan(0, 10 * d));
        for (int r = 0; r < 10; r++)
        {
            // Eigenvectors are defined up to sign: compare the whitened rows' Gram matrix, which is sign-free.
            for (int s = 0; s < 10; s++)
            {
                double ga = 0, gb = 0;
                for (int c = 0; c < 16; c++) { ga += a[r * 16 + c] * a[s * 16 + c]; gb += b[r * 16 + c] * b[s * 16 + c]; }
                Assert.True(Math.Abs(ga - gb) < 1e-4, $"rows {r},{s}: {ga} vs {gb}");
            }
        }
        for (int c = 0; c < 16; c++) Assert.True(Math.Abs(host.Variances[c] - device.Variances[c]) <= 1e-5 * host.Variances[0], $"variance {c}");
    }
}
