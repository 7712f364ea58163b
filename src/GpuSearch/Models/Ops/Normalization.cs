// Host side of kernels/layernorm.cl and kernels/batchnorm.cl.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>LayerNormalization and unfused BatchNormalization (inference) on contiguous fp32 views.</summary>
internal static class Normalization
{
    /// <summary>
    /// LayerNormalization of x viewed as [rows, cols] (cols = its last dim) with scale and optional bias of cols
    /// elements; optionally also each row's mean and inverse standard deviation (<paramref name="stats"/>: rows elements each).
    /// </summary>
    public static void LayerNorm(ComputeStream stream, float epsilon, DeviceTensor x, DeviceTensor scale, DeviceTensor? bias, DeviceTensor y,
        (DeviceTensor Mean, DeviceTensor InvStdDev)? stats = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (x.Shape.Length == 0) throw new ArgumentException("layernorm input needs at least one axis", nameof(x));
        int cols = x.Shape[^1];
        long n = x.Count, rowCount = cols == 0 ? 0 : n / cols;
        if (rowCount > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(x), "layernorm rows exceed 2^31");
        int rows = (int)rowCount;
        OpCheck.Positive("layernorm dims", rows, cols);
        x.Require(nameof(x), n, TensorStorage.F32);
        scale.Require(nameof(scale), cols, TensorStorage.F32);
        bias?.Require(nameof(bias), cols, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        if (stats is { } st)
        {
            st.Mean.Require(nameof(stats), rows, TensorStorage.F32);
            st.InvStdDev.Require(nameof(stats), rows, TensorStorage.F32);
        }
        var k = stream.Device.GetKernel("layernorm.cl", "layernorm_rows",
            new KernelDefines().Set("HAS_BIAS", bias is null ? 0 : 1).Set("HAS_STATS", stats is null ? 0 : 1));
        // Absent bias/stats: the kernel never reads or writes them (HAS_BIAS/HAS_STATS = 0), but every argument must be set.
        stream.Launch(k, [rows], [Math.Min(64, rows)], new KernelArgs().Int(rows).Int(cols).Float(epsilon)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(scale.Buffer).Long(scale.Offset).Buffer(bias?.Buffer ?? scale.Buffer).Long(bias?.Offset ?? 0)
            .Buffer(y.Buffer).Long(y.Offset)
            .Buffer(stats?.Mean.Buffer ?? y.Buffer).Long(stats?.Mean.Offset ?? 0).Buffer(stats?.InvStdDev.Buffer ?? y.Buffer).Long(stats?.InvStdDev.Offset ?? 0));
    }

    /// <summary>BatchNormalization of x [N, C, inner...]: per-channel scale, bias, running mean and variance (C elements each).</summary>
    public static void BatchNorm(ComputeStream stream, float epsilon, DeviceTensor x, DeviceTensor scale, DeviceTensor bias,
        DeviceTensor mean, DeviceTensor variance, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (x.Shape.Length < 2) throw new ArgumentException($"batchnorm input must be [N, C, ...], got [{string.Join(",", x.Shape)}]", nameof(x));
        int batch = x.Shape[0], channels = x.Shape[1];
        long inner = OpCheck.Count(x.Shape.AsSpan(2));
        OpCheck.Positive("batchnorm dims", batch, channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inner, nameof(x));
        long n = x.Count;
        x.Require(nameof(x), n, TensorStorage.F32);
        scale.Require(nameof(scale), channels, TensorStorage.F32);
        bias.Require(nameof(bias), channels, TensorStorage.F32);
        mean.Require(nameof(mean), channels, TensorStorage.F32);
        variance.Require(nameof(variance), channels, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        var k = stream.Device.GetKernel("batchnorm.cl", "batchnorm");
        stream.Launch(k, [n], [256], new KernelArgs().Long(n).Int(channels).Long(inner).Float(epsilon).Buffer(x.Buffer).Long(x.Offset)
            .Buffer(scale.Buffer).Long(scale.Offset).Buffer(bias.Buffer).Long(bias.Offset)
            .Buffer(mean.Buffer).Long(mean.Offset).Buffer(variance.Buffer).Long(variance.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
