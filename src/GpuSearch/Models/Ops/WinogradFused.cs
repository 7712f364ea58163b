// Host side of kernels/winograd_fused.cl: Winograd F(4×4, 3×3) as one launch on CPUs — transforms and position GEMMs
// of a block of tiles in local memory — for layers whose transformed input block fits the device's local memory.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>
/// The single-launch form of <see cref="Winograd"/>: same weights (<see cref="Winograd.TransformWeights(ReadOnlySpan{float}, int, int)"/>), same
/// result, no scratch tensors. Each work-group keeps the transformed input of <see cref="TileBlock"/> tiles × all input
/// channels in local memory, so V and the position products never leave the cache.
/// </summary>
internal static class WinogradFused
{
    /// <summary>Output channels per register tile (the kernel's MB): MB × NV = 16 float16 accumulators.</summary>
    private static int RowBlock(Conv2dShape s) => 16 / Vectors(s);
    /// <summary>Most input channels whose block (36 · C · TB fp32: 576 KiB at 128 × 32 and 256 × 16) fits PoCL's 1 MiB of local memory.</summary>
    public const int MaxInChannels = 256;

    /// <summary>float16 vectors of tiles per work-group (the kernel's NV): two up to 128 input channels, one above.</summary>
    private static int Vectors(Conv2dShape s) => s.InChannels <= 128 ? 2 : 1;

    /// <summary>Tiles per work-group, one per float16 lane: the block the position GEMMs pad the tile count to.</summary>
    public static int TileBlock(Conv2dShape s) => 16 * Vectors(s);

    /// <summary>False when the environment sets <c>GPUSEARCH_WINOGRAD_FUSED=0</c> (or <c>off</c>): the three-launch form runs.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("GPUSEARCH_WINOGRAD_FUSED") is not ("0" or "off" or "OFF");

    /// <summary>Shapes the fused kernel takes: <see cref="Winograd.Supports">Winograd shapes</see> with at most <see cref="MaxInChannels"/> inputs.</summary>
    public static bool Supports(Conv2dShape s) => Winograd.Supports(s) && s.InChannels <= MaxInChannels;

    /// <summary>Enqueues <c>y = act(conv3×3(x, w) + bias + residual)</c> as one fused Winograd launch.</summary>
    /// <param name="stream">Stream to run on (a CPU device: the kernel is OpenCL-only).</param>
    /// <param name="shape">Geometry; must be <see cref="Supports">supported</see>.</param>
    /// <param name="x">Input [N, C, H, W]; its storage is also y's and the residual's.</param>
    /// <param name="u">Transformed weights [36·M, C] from <see cref="Winograd.TransformWeights(ReadOnlySpan{float}, int, int)"/>, fp32.</param>
    /// <param name="bias">Bias [M] (fp32), or null.</param>
    /// <param name="residual">Tensor of the output's shape added before the activation, or null.</param>
    /// <param name="y">Output [N, M, OH, OW].</param>
    /// <param name="activation">Activation applied last.</param>
    public static void Run(ComputeStream stream, Conv2dShape shape, DeviceTensor x, DeviceTensor u, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        if (!Supports(shape))
            throw new ArgumentException($"fused Winograd needs a 3×3 stride-1 undilated ungrouped conv of at most {MaxInChannels} input channels, got kernel " +
                $"{shape.KernelH}×{shape.KernelW}, stride {shape.StrideH}×{shape.StrideW}, group {shape.Group}, {shape.InChannels} channels", nameof(shape));
        activation.Validate();
        var storage = x.DType;
        x.Require(nameof(x), shape.InputCount, storage);
        u.Require(nameof(u), (long)Winograd.Positions * shape.OutChannels * shape.InChannels, TensorStorage.F32);
        bias?.Require(nameof(bias), shape.OutChannels, TensorStorage.F32);
        residual?.Require(nameof(residual), shape.OutputCount, storage);
        y.Require(nameof(y), shape.OutputCount, storage);

        int th = (shape.OutHeight + Winograd.TileSize - 1) / Winograd.TileSize, tw = (shape.OutWidth + Winograd.TileSize - 1) / Winograd.TileSize;
        long groups = (checked((int)Winograd.Tiles(shape)) + TileBlock(shape) - 1) / TileBlock(shape);
        var defines = new KernelDefines().Set("CIN", shape.InChannels).Set("NV", Vectors(shape)).Set("MB", RowBlock(shape)).Set("ACT", (int)activation.Kind)
            .Set("HAS_BIAS", bias is null ? 0 : 1).Set("HAS_RES", residual is null ? 0 : 1).Set("X_F16", storage == TensorStorage.F16 ? 1 : 0);
        var k = stream.Device.GetKernel("winograd_fused.cl", "winograd_fused", defines);
        stream.Launch(k, [groups, 1], [1, 1], new KernelArgs().Int(shape.Batch).Int(shape.Height).Int(shape.Width).Int(shape.OutChannels)
            .Int(shape.OutHeight).Int(shape.OutWidth).Int(th).Int(tw).Int(shape.PadTop).Int(shape.PadLeft)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(u.Buffer).Long(u.Offset)
            .Buffer(bias?.Buffer ?? y.Buffer).Long(bias?.Offset ?? 0).Buffer(residual?.Buffer ?? y.Buffer).Long(residual?.Offset ?? 0)
            .Buffer(y.Buffer).Long(y.Offset).Float(activation.Alpha).Float(activation.Beta));
    }
}
