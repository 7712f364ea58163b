// PCA-whitening learned from a set of embeddings (e.g. the index itself): centre, rotate onto the principal axes,
// divide each axis by the square root of its variance, keep the strongest axes, L2-normalise. Raw whitening of a
// small gallery divides by near-zero variances of axes it cannot estimate and ruins retrieval, so the variances are
// shrunk towards their mean first: λ' = (1 − s)·λ + s·mean(λ) (s = 0 raw, s = 1 plain PCA rotation).
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>A learned PCA-whitening: mean, projection (D × K) and the variances it was built from.</summary>
internal sealed class PcaWhitening
{
    /// <summary>Input dimension D.</summary>
    public int InputDimension { get; }
    /// <summary>Output dimension K (the strongest K axes).</summary>
    public int OutputDimension { get; }
    /// <summary>Mean of the training vectors (D).</summary>
    public float[] Mean { get; }
    /// <summary>Row-major D × K projection: eigenvector columns divided by √λ'.</summary>
    public float[] Projection { get; }
    /// <summary>Variances (eigenvalues) of the kept axes, strongest first, before shrinkage.</summary>
    public double[] Variances { get; }
    /// <summary>Shrinkage s it was learned with (0 raw whitening, 1 plain PCA rotation).</summary>
    public double Shrinkage { get; }

    private PcaWhitening(int d, int k, float[] mean, float[] projection, double[] variances, double shrinkage)
    {
        InputDimension = d; OutputDimension = k; Mean = mean; Projection = projection; Variances = variances; Shrinkage = shrinkage;
    }

    /// <summary>Rebuilds a whitening from its stored parts (<see cref="WhiteningFile"/> has checked them).</summary>
    internal static PcaWhitening FromParts(int d, int k, float[] mean, float[] projection, double[] variances, double shrinkage)
        => new(d, k, mean, projection, variances, shrinkage);

    /// <summary>Learns from <paramref name="vectors"/> (N × <paramref name="dimension"/>, row-major, N ≥ 2).</summary>
    public static PcaWhitening Learn(ReadOnlySpan<float> vectors, int dimension, double shrinkage = 0.5, int? outputDimension = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (vectors.Length % dimension != 0 || vectors.Length / dimension < 2)
            throw new ArgumentException($"need N × {dimension} floats with N ≥ 2, got {vectors.Length}", nameof(vectors));
        if (!(shrinkage >= 0 && shrinkage <= 1)) throw new ArgumentOutOfRangeException(nameof(shrinkage), shrinkage, "shrinkage must be in [0, 1]");
        int k = outputDimension ?? dimension;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, dimension);
        int n = vectors.Length / dimension, d = dimension;
        var (mean, cov) = HostCovariance(vectors, d, n);
        return FromCovariance(mean, cov, shrinkage, k);
    }

    /// <summary>Learns on <paramref name="device"/>: the covariance is a device GEMM (<see cref="DeviceCovariance"/>), the rest as <see cref="Learn(ReadOnlySpan{float}, int, double, int?)"/>.</summary>
    internal static PcaWhitening Learn(ComputeDevice device, ReadOnlySpan<float> vectors, int dimension, double shrinkage = 0.5, int? outputDimension = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (!(shrinkage >= 0 && shrinkage <= 1)) throw new ArgumentOutOfRangeException(nameof(shrinkage), shrinkage, "shrinkage must be in [0, 1]");
        int k = outputDimension ?? dimension;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, dimension);
        var (mean, cov) = DeviceCovariance.Compute(device, vectors, dimension);
        return FromCovariance(mean, cov, shrinkage, k);
    }

    /// <summary>Mean and sample covariance on the host, in double (the scalar reference for the device path).</summary>
    internal static (double[] Mean, double[,] Covariance) HostCovariance(ReadOnlySpan<float> vectors, int d, int n)
    {
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += vectors[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var cov = new double[d, d];
        var row = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) row[j] = vectors[i * d + j] - mean[j];
            for (int a = 0; a < d; a++) { double ra = row[a]; for (int b = a; b < d; b++) cov[a, b] += ra * row[b]; }
        }
        for (int a = 0; a < d; a++) for (int b = a; b < d; b++) cov[b, a] = cov[a, b] /= n - 1;
        return (mean, cov);
    }

    /// <summary>The whitening of a mean and covariance: eigen-decomposition, the K strongest axes, shrunk variances.</summary>
    private static PcaWhitening FromCovariance(double[] mean, double[,] cov, double shrinkage, int k)
    {
        int d = mean.Length;
        var (values, vectorsOut) = SymmetricEigen.Decompose(cov);
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).Take(k).ToArray();
        double meanVariance = values.Select(v => Math.Max(v, 0)).Average();
        var projection = new float[d * k];
        var kept = new double[k];
        for (int c = 0; c < k; c++)
        {
            double lambda = Math.Max(values[order[c]], 0);
            kept[c] = lambda;
            double shrunk = (1 - shrinkage) * lambda + shrinkage * meanVariance;
            double scale = shrunk > 0 ? 1 / Math.Sqrt(shrunk) : 0;
            for (int j = 0; j < d; j++) projection[j * k + c] = (float)(vectorsOut[j, order[c]] * scale);
        }
        return new PcaWhitening(d, k, mean.Select(v => (float)v).ToArray(), projection, kept, shrinkage);
    }

    /// <summary>Whitens <paramref name="vectors"/> (N × D) into N × K rows, each L2-normalised.</summary>
    public float[] Apply(ReadOnlySpan<float> vectors)
    {
        int d = InputDimension, k = OutputDimension;
        if (vectors.Length % d != 0) throw new ArgumentException($"need N × {d} floats, got {vectors.Length}", nameof(vectors));
        int n = vectors.Length / d;
        var result = new float[n * k];
        var acc = new double[k];
        for (int i = 0; i < n; i++)
        {
            Array.Clear(acc);
            for (int j = 0; j < d; j++)
            {
                double x = vectors[i * d + j] - Mean[j];
                for (int c = 0; c < k; c++) acc[c] += x * Projection[j * k + c];
            }
            double norm = Math.Sqrt(acc.Sum(v => v * v));
            for (int c = 0; c < k; c++) result[i * k + c] = norm > 0 ? (float)(acc[c] / norm) : 0f;
        }
        return result;
    }
}
