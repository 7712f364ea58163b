// Host side of kernels/layernorm.cl and kernels/batchnorm.cl.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>LayerNormalization and unfused BatchNormalization (inference). Offsets are in elements.</summary>
internal static class Normalization
{
    /// <summary>
    /// LayerNormalization over the last <paramref name="cols"/> elements of each of <paramref name="rows"/> rows;
    /// optionally also each row's mean and inverse standard deviation (<paramref name="stats"/>: both or neither).
    /// </summary>
    public static void LayerNorm(ComputeStream stream, int rows, int cols, float epsilon, DeviceBuffer x, long xOffset,
        DeviceBuffer scale, long scaleOffset, DeviceBuffer? bias, long biasOffset, DeviceBuffer y, long yOffset,
        (DeviceBuffer Mean, long MeanOffset, DeviceBuffer InvStdDev, long InvOffset)? stats = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("layernorm dims", rows, cols);
        long n = (long)rows * cols;
        OpCheck.Range(x, xOffset, n, nameof(x));
        OpCheck.Range(scale, scaleOffset, cols, nameof(scale));
        if (bias is not null) OpCheck.Range(bias, biasOffset, cols, nameof(bias));
        OpCheck.Range(y, yOffset, n, nameof(y));
        if (stats is { } st)
        {
            OpCheck.Range(st.Mean, st.MeanOffset, rows, nameof(stats));
            OpCheck.Range(st.InvStdDev, st.InvOffset, rows, nameof(stats));
        }
        var k = stream.Device.GetKernel("layernorm.cl", "layernorm_rows",
            new KernelDefines().Set("HAS_BIAS", bias is null ? 0 : 1).Set("HAS_STATS", stats is null ? 0 : 1));
        stream.Launch(k, [rows], [Math.Min(64, rows)], new KernelArgs().Int(rows).Int(cols).Float(epsilon)
            .Buffer(x).Long(xOffset).Buffer(scale).Long(scaleOffset).Buffer(bias ?? scale).Long(biasOffset).Buffer(y).Long(yOffset)
            .Buffer(stats?.Mean ?? y).Long(stats?.MeanOffset ?? 0).Buffer(stats?.InvStdDev ?? y).Long(stats?.InvOffset ?? 0));
    }

    /// <summary>BatchNormalization on [N, C, inner]: per-channel scale, bias, running mean and variance (all length C).</summary>
    public static void BatchNorm(ComputeStream stream, int batch, int channels, long inner, float epsilon,
        DeviceBuffer x, long xOffset, (DeviceBuffer Buffer, long Offset) scale, (DeviceBuffer Buffer, long Offset) bias,
        (DeviceBuffer Buffer, long Offset) mean, (DeviceBuffer Buffer, long Offset) variance, DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("batchnorm dims", batch, channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inner);
        long n = (long)batch * channels * inner;
        OpCheck.Range(x, xOffset, n, nameof(x));
        OpCheck.Range(scale.Buffer, scale.Offset, channels, nameof(scale));
        OpCheck.Range(bias.Buffer, bias.Offset, channels, nameof(bias));
        OpCheck.Range(mean.Buffer, mean.Offset, channels, nameof(mean));
        OpCheck.Range(variance.Buffer, variance.Offset, channels, nameof(variance));
        OpCheck.Range(y, yOffset, n, nameof(y));
        var k = stream.Device.GetKernel("batchnorm.cl", "batchnorm");
        stream.Launch(k, [n], [256], new KernelArgs().Long(n).Int(channels).Long(inner).Float(epsilon).Buffer(x).Long(xOffset)
            .Buffer(scale.Buffer).Long(scale.Offset).Buffer(bias.Buffer).Long(bias.Offset)
            .Buffer(mean.Buffer).Long(mean.Offset).Buffer(variance.Buffer).Long(variance.Offset).Buffer(y).Long(yOffset));
    }
}
