// Host side of kernels/depthwise.cl (the depthwise branch of Conv2d): kernel choice (CPUs mostly take
// kernels/depthwise_flat.cl through DepthwiseFlat), padded-plane geometry, launch.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Depthwise convolutions (group == C, M = C·multiplier) for <see cref="Conv2d.Run"/>.</summary>
internal static class Depthwise
{
    /// <summary>Largest padded plane (floats) the local-memory kernel takes on a CPU: 128 KiB, within L2 and PoCL's 2 MiB of local memory.</summary>
    public const int PlaneMax = 32768;

    /// <summary>The same limit elsewhere: 32 KiB, within CUDA's 48 KiB of static shared memory.</summary>
    public const int GpuPlaneMax = 8192;

    /// <summary>Floats of the plane kernel's local tile for <paramref name="s"/> with chunks of <paramref name="chunk"/> outputs.</summary>
    /// <remarks>Each padded row is split into StrideW phases of ceil(PW / StrideW) floats (see kernels/depthwise.cl).</remarks>
    public static long PlaneFloats(Conv2dShape s, int chunk)
    {
        var (ph, pw) = PaddedPlane(s, chunk);
        return (long)ph * s.StrideW * ((pw + s.StrideW - 1) / s.StrideW);
    }

    private static (int Height, int Width) PaddedPlane(Conv2dShape s, int chunk) =>
        ((s.OutHeight - 1) * s.StrideH + (s.KernelH - 1) * s.DilationH + 1,
         (s.OutWidth - 1 + chunk) * s.StrideW + (s.KernelW - 1) * s.DilationW + 1);

    /// <summary>Enqueues the depthwise convolution; Conv2d.Run has checked the shape, tensors and tiles.</summary>
    internal static void Run(ComputeStream stream, Conv2dShape s, DeviceTensor x, DeviceTensor w, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation, ConvTiles tiles, KernelDefines defines)
    {
        // Kernel size, strides and dilations are compile-time in the depthwise kernels (unrolled taps).
        defines.Set("KH", s.KernelH).Set("KW", s.KernelW).Set("SH", s.StrideH).Set("SW", s.StrideW).Set("DH", s.DilationH).Set("DW", s.DilationW);
        // CPUs: the flat kernel (whole planes as one row of outputs) wherever its row wrap only meets pads; the plane
        // and row kernels below for the rest (unpadded right edges, planes past the local tile).
        if (stream.Device.Info.IsCpu && !tiles.DepthwisePerPixel && DepthwiseFlat.Fits(s, PlaneMax))
        {
            DepthwiseFlat.Run(stream, s, x, w, bias, residual, y, activation, defines);
            return;
        }
        defines.Set("DW_WPT", tiles.DepthwiseWidth);
        var args = new KernelArgs().Int(s.Batch).Int(s.InChannels).Int(s.Height).Int(s.Width).Int(s.OutChannels)
            .Int(s.OutHeight).Int(s.OutWidth).Int(s.PadTop).Int(s.PadLeft);
        // Plane kernel (pads made explicit in local memory) when the padded plane fits; CPUs only.
        int planeMax = stream.Device.Info.IsCpu ? PlaneMax : GpuPlaneMax;
        if (!tiles.DepthwisePerPixel && PlaneFloats(s, tiles.DepthwiseWidth) <= planeMax)
        {
            var (ph, pw) = PaddedPlane(s, tiles.DepthwiseWidth);
            var pk = stream.Device.GetKernel("depthwise.cl", "depthwise2d_plane", defines.Set("DW_PLANE_MAX", planeMax));
            args.Int(ph).Int(pw);
            Conv2d.AddTensors(args, x, w, bias, residual, y, activation);
            stream.Launch(pk, [(long)s.Batch * s.OutChannels], [1], args);
            return;
        }
        Conv2d.AddTensors(args, x, w, bias, residual, y, activation);
        if (tiles.DepthwisePerPixel)
            stream.Launch(stream.Device.GetKernel("depthwise.cl", "depthwise2d_px", defines),
                [(long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth], [tiles.DepthwiseRows], args);
        else
            stream.Launch(stream.Device.GetKernel("depthwise.cl", "depthwise2d", defines),
                [(long)s.Batch * s.OutChannels * s.OutHeight], [tiles.DepthwiseRows], args);
    }
}
