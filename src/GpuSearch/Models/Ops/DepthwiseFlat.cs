// Geometry of kernels/depthwise_flat.cl (the CPU depthwise kernel over whole flattened output planes): when it
// applies, the #defines it is compiled with, how many planes each work-group takes.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Host side of <c>depthwise2d_flat</c>; the formulas mirror the kernel's DR/DC/SPH/PSTRIDE macros.</summary>
internal static class DepthwiseFlat
{
    /// <summary>Floats before and after each sub-plane of the tile (the kernel's MARGIN).</summary>
    private const int Margin = 32;

    /// <summary>Outputs a work-group should cover at least, so PoCL's per-group cost stays small beside the work.</summary>
    private const int OutputsPerGroup = 4096;

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Floats of the kernel's local tile: SH·SW stride phases of SPH sub-rows × OW, each with a margin.</summary>
    public static long TileFloats(Conv2dShape s)
    {
        int r0 = FloorDiv(-s.PadTop, s.StrideH), rLast = FloorDiv((s.KernelH - 1) * s.DilationH - s.PadTop, s.StrideH);
        long sph = s.OutHeight + rLast - r0;
        return Margin + (long)s.StrideH * s.StrideW * (sph * s.OutWidth + Margin);
    }

    /// <summary>
    /// Whether the flat kernel computes <paramref name="s"/> exactly: a sub-plane row is OW wide, so a tap whose
    /// sub-column leaves [0, OW) wraps into the neighbouring row and its lane is dropped; that is only right when the
    /// column it stands for is a pad (always so on the left; on the right when OW·SW + phase ≥ W). The wrap and the
    /// chunk's overrun must stay within the margins, and the tile within <paramref name="maxFloats"/>.
    /// </summary>
    public static bool Fits(Conv2dShape s, long maxFloats)
    {
        if (s.OutHeight <= 0 || s.OutWidth <= 0 || TileFloats(s) > maxFloats) return false;
        for (int kw = 0; kw < s.KernelW; kw++)
        {
            int off = kw * s.DilationW - s.PadLeft, dc = FloorDiv(off, s.StrideW), pc = off - dc * s.StrideW;
            if (dc < -Margin || dc > Margin - 16) return false;
            if (dc > 0 && (long)s.OutWidth * s.StrideW + pc < s.Width) return false;
        }
        return true;
    }

    /// <summary>Enqueues <c>depthwise2d_flat</c> (the caller checked <see cref="Fits"/>); <paramref name="defines"/> carry the epilogue.</summary>
    public static void Run(ComputeStream stream, Conv2dShape s, DeviceTensor x, DeviceTensor w, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation, KernelDefines defines)
    {
        defines.Set("H", s.Height).Set("W", s.Width).Set("OH", s.OutHeight).Set("OW", s.OutWidth).Set("PT", s.PadTop).Set("PL", s.PadLeft)
            .Set("MULT", s.OutChannels / s.InChannels);
        long planes = (long)s.Batch * s.OutChannels;
        // Enough planes per group to cover OutputsPerGroup outputs, but at least 8 groups per core for balance.
        long perGroup = Math.Max(1, (OutputsPerGroup + s.OutHeight * s.OutWidth - 1) / (s.OutHeight * s.OutWidth));
        perGroup = Math.Min(perGroup, Math.Max(1, planes / (8L * Math.Max(1, stream.Device.Info.ComputeUnits))));
        var args = new KernelArgs().Int(s.Batch).Int(s.InChannels).Int(s.OutChannels).Int((int)perGroup);
        Conv2d.AddTensors(args, x, w, bias, residual, y, activation);
        stream.Launch(stream.Device.GetKernel("depthwise_flat.cl", "depthwise2d_flat", defines), [(planes + perGroup - 1) / perGroup], [1], args);
    }
}
