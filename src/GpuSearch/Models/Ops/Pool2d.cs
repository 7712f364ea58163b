// Host side of kernels/pool.cl: MaxPool, AveragePool and the global pools on NCHW fp32 tensors.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Geometry of a 2-D pooling window over [N, C, H, W].</summary>
/// <param name="Batch">N.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="KernelH">Window height.</param>
/// <param name="KernelW">Window width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Pad above.</param>
/// <param name="PadLeft">Pad left.</param>
/// <param name="PadBottom">Pad below.</param>
/// <param name="PadRight">Pad right.</param>
/// <param name="DilationH">Vertical dilation (MaxPool only).</param>
/// <param name="DilationW">Horizontal dilation (MaxPool only).</param>
/// <param name="CeilMode">Output size rounds up instead of down.</param>
internal sealed record Pool2dShape(int Batch, int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, bool CeilMode = false)
{
    /// <summary>Output height.</summary>
    public int OutHeight => OutSize(Height, KernelH, StrideH, PadTop, PadBottom, DilationH);
    /// <summary>Output width.</summary>
    public int OutWidth => OutSize(Width, KernelW, StrideW, PadLeft, PadRight, DilationW);

    private int OutSize(int size, int k, int s, int p0, int p1, int d)
    {
        var span = size + p0 + p1 - (d * (k - 1) + 1);
        var o = (CeilMode ? (span + s - 1) / s : span / s) + 1;
        // ceil_mode: the last window must start inside the input or its leading pad (as PyTorch and ONNX do).
        if (CeilMode && (o - 1) * s >= size + p0) o--;
        return o;
    }

    internal void Validate()
    {
        OpCheck.Positive("pool dimensions", Batch, Channels, Height, Width, KernelH, KernelW, StrideH, StrideW, DilationH, DilationW);
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0) throw new ArgumentOutOfRangeException(nameof(PadTop), "Pool pads must be non-negative");
        if (OutHeight <= 0 || OutWidth <= 0) throw new ArgumentException($"Pool output would be empty for input {Height}×{Width}, window {KernelH}×{KernelW}");
    }
}

/// <summary>Pooling ops on contiguous fp32 views.</summary>
internal static class Pool2d
{
    /// <summary>MaxPool of x (N·C·H·W elements of <paramref name="shape"/>) into y (N·C·OH·OW); NaN propagates.</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="shape">Geometry; validated.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="planeKernel">Allow the CPU plane kernel (tests pass false to exercise the per-output one on a CPU).</param>
    public static void Max(ComputeStream stream, Pool2dShape shape, DeviceTensor x, DeviceTensor y, bool planeKernel = true) =>
        Run(stream, shape, x, y, true, false, planeKernel);

    /// <summary>AveragePool; <paramref name="countIncludePad"/> makes pads count in the divisor.</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="shape">Geometry; validated.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="countIncludePad">Pads count in the divisor.</param>
    /// <param name="planeKernel">Allow the CPU plane kernel (tests pass false to exercise the per-output one on a CPU).</param>
    public static void Average(ComputeStream stream, Pool2dShape shape, DeviceTensor x, DeviceTensor y, bool countIncludePad, bool planeKernel = true) =>
        Run(stream, shape, x, y, false, countIncludePad, planeKernel);

    private static void Run(ComputeStream stream, Pool2dShape s, DeviceTensor x, DeviceTensor y, bool max, bool includePad, bool planeKernel)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(s);
        s.Validate();
        if (!max && (s.DilationH != 1 || s.DilationW != 1)) throw new NotSupportedException("AveragePool with dilations");
        long nc = (long)s.Batch * s.Channels;
        x.Require(nameof(x), nc * s.Height * s.Width, TensorStorage.F32);
        y.Require(nameof(y), nc * s.OutHeight * s.OutWidth, TensorStorage.F32);
        if (nc > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(s), "N·C exceeds 2^31");
        var defines = new KernelDefines().Set("POOL_MAX", max ? 1 : 0).Set("COUNT_INCLUDE_PAD", includePad ? 1 : 0);
        if (planeKernel && stream.Device.Info.IsCpu && stream.Device.Info.Backend == ComputeBackend.OpenCL && PlaneFloats(s) <= PlaneMax)
        {
            // CPUs: one work-item per plane, window taps as vector ops over a padded copy in local memory (kernels/pool.cl).
            var (ph, pw) = PaddedPlane(s);
            var pk = stream.Device.GetKernel("pool.cl", "pool2d_plane", defines.Set("PKH", s.KernelH).Set("PKW", s.KernelW)
                .Set("PSH", s.StrideH).Set("PSW", s.StrideW).Set("PDH", s.DilationH).Set("PDW", s.DilationW).Set("POOL_PLANE_MAX", PlaneMax)
                .Set("PSTRIP", PlaneStrip));
            stream.Launch(pk, [nc], [1], new KernelArgs().Int(s.Height).Int(s.Width).Int(s.OutHeight).Int(s.OutWidth)
                .Int(s.PadTop).Int(s.PadLeft).Int(s.PadBottom).Int(s.PadRight).Int(ph).Int(pw)
                .Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
            return;
        }
        var k = stream.Device.GetKernel("pool.cl", "pool2d", defines);
        stream.Launch(k, [nc * s.OutHeight * s.OutWidth], [64], new KernelArgs()
            .Int(s.Height).Int(s.Width).Int(s.OutHeight).Int(s.OutWidth).Int(s.KernelH).Int(s.KernelW).Int(s.StrideH).Int(s.StrideW)
            .Int(s.PadTop).Int(s.PadLeft).Int(s.PadBottom).Int(s.PadRight).Int(s.DilationH).Int(s.DilationW).Int((int)nc)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }

    /// <summary>Largest padded plane (floats) the CPU plane kernel takes: 128 KiB, within L2 and PoCL's 2 MiB of local memory.</summary>
    public const int PlaneMax = 32768;

    /// <summary>
    /// Output rows the plane kernel computes per copy of their input rows: ResNet's MaxPool (3×3/2 over 64 planes of
    /// 112×112, batch 8) took 40 % less CPU time in strips of 8 rows (a 10 KiB tile, in L1) than from the whole padded
    /// plane at once (66 KiB, past L1); strips of 4 and 16 measured between.
    /// </summary>
    private const int PlaneStrip = 8;

    /// <summary>Output chunk of the plane kernel (its float16 vectors).</summary>
    private const int PlaneChunk = 16;

    /// <summary>Floats of the plane kernel's local tile: padded rows split into StrideW phases (see kernels/pool.cl).</summary>
    internal static long PlaneFloats(Pool2dShape s)
    {
        var (ph, pw) = PaddedPlane(s);
        return (long)ph * s.StrideW * ((pw + s.StrideW - 1) / s.StrideW);
    }

    private static (int Height, int Width) PaddedPlane(Pool2dShape s) =>
        ((s.OutHeight - 1) * s.StrideH + (s.KernelH - 1) * s.DilationH + 1,
         (s.OutWidth - 1 + PlaneChunk) * s.StrideW + (s.KernelW - 1) * s.DilationW + 1);

    /// <summary>GlobalMaxPool / GlobalAveragePool: x is [N, C, spatial...]; y gets one value per (n, c) plane.</summary>
    public static void Global(ComputeStream stream, bool max, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (x.Shape.Length < 2) throw new ArgumentException($"global pool input must be [N, C, ...], got [{string.Join(",", x.Shape)}]", nameof(x));
        long planes = (long)x.Shape[0] * x.Shape[1], planeSize = OpCheck.Count(x.Shape.AsSpan(2));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planes, nameof(x));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planeSize, nameof(x));
        if (planes > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(x), "N·C exceeds 2^31");
        x.Require(nameof(x), planes * planeSize, TensorStorage.F32);
        y.Require(nameof(y), planes, TensorStorage.F32);
        var k = stream.Device.GetKernel("pool.cl", "global_pool", new KernelDefines().Set("POOL_MAX", max ? 1 : 0));
        stream.Launch(k, [planes], [(int)Math.Min(64, planes)], new KernelArgs().Int((int)planes).Long(planeSize)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
