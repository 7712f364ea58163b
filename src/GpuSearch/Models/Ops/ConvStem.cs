// Host side of kernels/conv_stem.cl: the CPU kernel for a CNN's first convolution (few input channels, large
// image, strided window): eligibility, the local tile's geometry, launch.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Direct convolution of few-channel inputs from a padded, stride-phased copy of the input rows (CPUs).</summary>
internal static class ConvStem
{
    /// <summary>Most input channels the kernel takes: its taps are unrolled per channel, and K = C·KH·KW must stay small.</summary>
    public const int MaxChannels = 4;

    /// <summary>Local tile limit (floats): 128 KiB, within L2 and PoCL's local memory.</summary>
    public const int TileMax = 32768;

    /// <summary>
    /// Output channels per register tile (MR) and float16 vectors of outputs per chunk (NV). Measured on the Zen 5 VM
    /// (ResNet-50 and MobileNetV2 first convs, batch 8, CPU time): 8 × 2 beat 8 × 3, 6 × 4, 4 × 4 and 12 × 2 by 2–10 %,
    /// and at 112 outputs per row 32-wide chunks leave a one-vector tail instead of 64-wide ones' wasted half vector.
    /// </summary>
    internal const int ChannelRows = 8, Vectors = 2;

    /// <summary>Output rows per work-group: each input row is copied about KH / (ROWS·SH) + 1 times.</summary>
    /// <remarks>8 rows measured 0–9 % below 4 and 2; fewer only when 8 would leave fewer than 4 work-groups per core.</remarks>
    internal static int Rows(Conv2dShape s, int computeUnits) =>
        (long)s.Batch * ((s.OutHeight + 7) / 8) >= 4L * Math.Max(1, computeUnits) ? 8 : 2;

    /// <summary>False when the environment sets <c>GPUSEARCH_CONV_STEM=0</c> (or <c>off</c>): first convs take the implicit GEMM.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("GPUSEARCH_CONV_STEM") is not ("0" or "off" or "OFF");

    /// <summary>
    /// Shapes the kernel runs: one group, at most <see cref="MaxChannels"/> input channels, a window wider than 1×1,
    /// rows of at least one vector, fp32 activations, and a tile that fits. OpenCL CPU devices only (float16 register
    /// tiles; on GPUs the implicit GEMM's many work-items do well).
    /// </summary>
    public static bool Supports(DeviceInfo device, Conv2dShape s, TensorStorage storage) =>
        device.IsCpu && device.Backend == ComputeBackend.OpenCL && storage == TensorStorage.F32 && s.Group == 1 &&
        s.InChannels <= MaxChannels && s.KernelH * s.KernelW > 1 && s.OutWidth >= 16 && TileFloats(s, 8) <= TileMax;

    /// <summary>Floats per phase of a tile row: the outputs rounded up to whole vectors plus the taps' reach.</summary>
    private static int PhaseWidth(Conv2dShape s) => (int)OpCheck.RoundUp(s.OutWidth, 16) + (s.KernelW - 1) * s.DilationW / s.StrideW;

    /// <summary>Floats of the local tile: C channels × the padded rows behind <paramref name="rows"/> output rows × SW phases.</summary>
    internal static long TileFloats(Conv2dShape s, int rows) =>
        (long)s.InChannels * ((rows - 1) * s.StrideH + (s.KernelH - 1) * s.DilationH + 1) * s.StrideW * PhaseWidth(s);

    /// <summary>Enqueues the convolution; Conv2d.Run has checked the shape and tensors.</summary>
    internal static void Run(ComputeStream stream, Conv2dShape s, DeviceTensor x, DeviceTensor w, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation, KernelDefines defines)
    {
        int rows = Rows(s, stream.Device.Info.ComputeUnits);
        defines.Set("SC", s.InChannels).Set("KH", s.KernelH).Set("KW", s.KernelW).Set("SH", s.StrideH).Set("SW", s.StrideW)
            .Set("DH", s.DilationH).Set("DW", s.DilationW).Set("ROWS", rows).Set("MR", ChannelRows).Set("NV", Vectors)
            .Set("STEM_TILE", (int)TileFloats(s, rows));
        var k = stream.Device.GetKernel("conv_stem.cl", "conv_stem", defines);
        var args = new KernelArgs().Int(s.Height).Int(s.Width).Int(s.OutChannels).Int(s.OutHeight).Int(s.OutWidth)
            .Int(s.PadTop).Int(s.PadLeft).Int(PhaseWidth(s));
        Conv2d.AddTensors(args, x, w, bias, residual, y, activation);
        stream.Launch(k, [(s.OutHeight + rows - 1) / rows, s.Batch], [1, 1], args);
    }
}
