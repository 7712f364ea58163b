// The covariance of an index's vectors for PCA-whitening, computed with the device GEMM: the rows are centred on
// the host (in double, so the mean's cancellation never happens in fp32), uploaded a block at a time, and each
// block's XᵀX is one GEMM whose D × D result is added up on the host in double. The N·D² multiply-adds are the
// whole cost of learning a whitening besides the eigen-decomposition, and they are what the device is for.
using GpuSearch.Compute;
using GpuSearch.Compute.Ops;

namespace GpuSearch.Search;

internal static class DeviceCovariance
{
    /// <summary>Rows per GEMM: each block's fp32 sums cover at most this many products per element.</summary>
    public const int BlockRows = 4096;

    /// <summary>Mean (D) and sample covariance (D × D, divided by N − 1) of <paramref name="vectors"/> (N × D, N ≥ 2).</summary>
    public static (double[] Mean, double[,] Covariance) Compute(ComputeDevice device, ReadOnlySpan<float> vectors, int dimension, int blockRows = BlockRows)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockRows);
        if (vectors.Length % dimension != 0 || vectors.Length / dimension < 2)
            throw new ArgumentException($"need N × {dimension} floats with N ≥ 2, got {vectors.Length}", nameof(vectors));
        int n = vectors.Length / dimension, d = dimension;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += vectors[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        int rows = Math.Min(blockRows, n);
        var block = new float[rows * d];
        var product = new float[d * d];
        var sum = new double[d * d];
        var stream = device.Stream;
        using var x = device.Allocate((long)rows * d * 4);
        using var c = device.Allocate((long)d * d * 4);
        for (int start = 0; start < n; start += rows)
        {
            int count = Math.Min(rows, n - start);
            for (int i = 0; i < count; i++)
                for (int j = 0; j < d; j++) block[i * d + j] = (float)(vectors[(start + i) * d + j] - mean[j]);
            stream.Upload<float>(x, block.AsSpan(0, count * d));
            // C = Xᵀ·X: A is X stored count × D (transposed), B is X.
            Gemm.Run(stream, d, d, count, x, x, c, transA: true);
            stream.Download<float>(c, product);
            for (int i = 0; i < sum.Length; i++) sum[i] += product[i];
        }
        var cov = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++) cov[a, b] = (sum[a * d + b] + sum[b * d + a]) / (2.0 * (n - 1));
        return (mean, cov);
    }
}
