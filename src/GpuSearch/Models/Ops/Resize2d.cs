// Host side of kernels/resize.cl: ONNX Resize (nearest and linear) over H and W of NCHW fp32 tensors.
// The host builds a small per-axis sampling table (ResizeCoordinateMath) that the kernel gathers through,
// so one kernel serves every coordinate transformation and rounding mode.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Geometry and modes of a 2-D resize of [N, C, H, W] to [N, C, OH, OW].</summary>
/// <param name="Batch">N.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="OutHeight">OH.</param>
/// <param name="OutWidth">OW.</param>
/// <param name="ScaleH">Vertical scale used by the coordinate transform (the given scale, or OH / H for sizes).</param>
/// <param name="ScaleW">Horizontal scale, likewise.</param>
/// <param name="Interpolation">Nearest or linear.</param>
/// <param name="Coordinates">Coordinate transformation mode.</param>
/// <param name="Rounding">Nearest rounding (ignored by linear).</param>
internal sealed record Resize2dShape(int Batch, int Channels, int Height, int Width, int OutHeight, int OutWidth,
    double ScaleH, double ScaleW, ResizeInterpolation Interpolation,
    ResizeCoordinates Coordinates = ResizeCoordinates.HalfPixel, ResizeRounding Rounding = ResizeRounding.RoundPreferFloor)
{
    /// <summary>Floats in the sampling table: (i0, i1, w) per output row, then per output column.</summary>
    public int TableLength => 3 * (OutHeight + OutWidth);

    internal void Validate()
    {
        OpCheck.Positive("resize dimensions", Batch, Channels, Height, Width, OutHeight, OutWidth);
        if (!(ScaleH > 0 && ScaleW > 0 && double.IsFinite(ScaleH) && double.IsFinite(ScaleW)))
            throw new ArgumentOutOfRangeException(nameof(ScaleH), $"Resize scales must be positive and finite (got {ScaleH}, {ScaleW})");
        // Table indices travel as floats: exact below 2^24.
        if (Height >= 1 << 24 || Width >= 1 << 24) throw new ArgumentOutOfRangeException(nameof(Height), "Resize input side of 2^24 or more");
    }
}

/// <summary>ONNX Resize for 4-D tensors scaled over H and W, on contiguous fp32 views.</summary>
internal static class Resize2d
{
    /// <summary>The sampling table <see cref="Run"/> reads (upload it once; it depends only on the shape).</summary>
    public static float[] Table(Resize2dShape s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s.Validate();
        var t = new List<float>(s.TableLength);
        ResizeCoordinateMath.AppendAxis(t, s.Interpolation, s.Coordinates, s.Rounding, s.ScaleH, s.Height, s.OutHeight);
        ResizeCoordinateMath.AppendAxis(t, s.Interpolation, s.Coordinates, s.Rounding, s.ScaleW, s.Width, s.OutWidth);
        return t.ToArray();
    }

    /// <summary>Resizes x (N·C·H·W) into y (N·C·OH·OW) through <paramref name="table"/> (from <see cref="Table"/> for the same shape).</summary>
    public static void Run(ComputeStream stream, Resize2dShape s, DeviceTensor x, DeviceTensor table, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(s);
        s.Validate();
        long nc = (long)s.Batch * s.Channels;
        if (nc > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(s), "N·C exceeds 2^31");
        x.Require(nameof(x), nc * s.Height * s.Width, TensorStorage.F32);
        table.Require(nameof(table), s.TableLength, TensorStorage.F32);
        y.Require(nameof(y), nc * s.OutHeight * s.OutWidth, TensorStorage.F32);
        var k = stream.Device.GetKernel("resize.cl", "resize2d",
            new KernelDefines().Set("RESIZE_LINEAR", s.Interpolation == ResizeInterpolation.Linear ? 1 : 0));
        stream.Launch(k, [nc * s.OutHeight * s.OutWidth], [64], new KernelArgs()
            .Int(s.Height).Int(s.Width).Int(s.OutHeight).Int(s.OutWidth).Int((int)nc)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(table.Buffer).Long(table.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
