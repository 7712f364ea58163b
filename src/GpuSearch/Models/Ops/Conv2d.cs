// Host side of kernels/conv.cl and kernels/depthwise.cl: checks, kernel choice, geometry, launch.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Which kernel a convolution runs on.</summary>
internal enum ConvAlgorithm
{
    /// <summary>Pick: depthwise kernel for depthwise shapes, GEMM path for 1×1, else implicit GEMM.</summary>
    Auto,
    /// <summary>Implicit GEMM with im2col gathered into local tiles.</summary>
    ImplicitGemm,
    /// <summary>1×1 stride-1 unpadded convolution as a plain GEMM over contiguous channel rows.</summary>
    Pointwise,
    /// <summary>Dedicated depthwise kernel.</summary>
    Depthwise,
    /// <summary>Direct kernel for few-channel first layers on CPUs (kernels/conv_stem.cl).</summary>
    Stem,
}

/// <summary>Optional parts of a convolution launch (storage types come from the tensors).</summary>
/// <param name="Algorithm">Kernel choice.</param>
/// <param name="Tiles">Tile configuration, <see cref="ConvTiles.For"/> the device if null.</param>
/// <param name="StreamStores">Streaming stores on CPU devices: by output size (<see cref="NonTemporalStores"/>) if null, else forced on or off.</param>
internal sealed record ConvOptions(ConvAlgorithm Algorithm = ConvAlgorithm.Auto, ConvTiles? Tiles = null, bool? StreamStores = null)
{
    /// <summary>fp32 everything, automatic kernel choice.</summary>
    public static ConvOptions Default { get; } = new();
}

/// <summary>Conv2D with a fused epilogue: <c>y = act(conv(x, w) + bias + residual)</c>. Offsets are in elements.</summary>
internal static class Conv2d
{
    /// <summary>The kernel <see cref="ConvAlgorithm.Auto"/> chooses for a shape.</summary>
    public static ConvAlgorithm Choose(Conv2dShape s) =>
        s.IsDepthwise ? ConvAlgorithm.Depthwise : s.IsPointwise && s.Group == 1 ? ConvAlgorithm.Pointwise : ConvAlgorithm.ImplicitGemm;

    /// <summary>Enqueues the convolution on <paramref name="stream"/>.</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="shape">Geometry; validated.</param>
    /// <param name="x">Input [N, C, H, W], contiguous; its storage is also y's and the residual's.</param>
    /// <param name="w">Weights [M, C/group, KH, KW], contiguous, fp32 or fp16.</param>
    /// <param name="bias">Bias [M] (fp32), or null.</param>
    /// <param name="residual">Tensor of the output's shape added before the activation, or null.</param>
    /// <param name="y">Output [N, M, OH, OW]; must not overlap x.</param>
    /// <param name="activation">Activation applied last.</param>
    /// <param name="options">Kernel choice and tiles.</param>
    public static void Run(ComputeStream stream, Conv2dShape shape, DeviceTensor x, DeviceTensor w, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation = default, ConvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        activation.Validate();
        var o = options ?? ConvOptions.Default;
        var tiles = o.Tiles ?? ConvTiles.For(stream.Device.Info);
        tiles.Validate();
        var storage = x.DType;
        x.Require(nameof(x), shape.InputCount, storage);
        w.Require(nameof(w), shape.WeightCount, w.DType);
        bias?.Require(nameof(bias), shape.OutChannels, TensorStorage.F32);
        residual?.Require(nameof(residual), shape.OutputCount, storage);
        y.Require(nameof(y), shape.OutputCount, storage);

        var alg = o.Algorithm == ConvAlgorithm.Auto ? Choose(shape) : o.Algorithm;
        if (alg == ConvAlgorithm.Depthwise && !shape.IsDepthwise)
            throw new ArgumentException($"Depthwise kernel requested for a non-depthwise shape (group {shape.Group}, C {shape.InChannels}, M {shape.OutChannels})", nameof(options));
        if (alg == ConvAlgorithm.Pointwise && !shape.IsPointwise)
            throw new ArgumentException("Pointwise kernel requested for a conv that is not 1×1, stride 1, unpadded", nameof(options));
        // A CNN's first conv (RGB input) on a CPU with one-work-item tiles: the direct stem kernel, whose input copy
        // costs a fraction of the implicit GEMM's im2col gather of strided runs.
        bool stem = ConvStem.Supports(stream.Device.Info, shape, storage);
        if (alg == ConvAlgorithm.Stem && !stem)
            throw new ArgumentException("Stem kernel requested for a shape or device it does not support", nameof(options));
        if (o.Algorithm == ConvAlgorithm.Auto && alg == ConvAlgorithm.ImplicitGemm && stem && ConvStem.Enabled && tiles.ThreadsM * tiles.ThreadsN == 1)
            alg = ConvAlgorithm.Stem;

        var defines = new KernelDefines().Set("ACT", (int)activation.Kind)
            .Set("HAS_BIAS", bias is null ? 0 : 1).Set("HAS_RES", residual is null ? 0 : 1)
            .Set("NT_STORE", NonTemporalStores.For(stream.Device.Info, y.Count * (storage == TensorStorage.F16 ? 2L : 4L), o.StreamStores))
            .Set("X_F16", storage == TensorStorage.F16 ? 1 : 0).Set("W_F16", w.DType == TensorStorage.F16 ? 1 : 0);
        var s = shape;
        if (alg == ConvAlgorithm.Depthwise)
        {
            Depthwise.Run(stream, s, x, w, bias, residual, y, activation, tiles, defines);
            return;
        }
        if (alg == ConvAlgorithm.Stem)
        {
            ConvStem.Run(stream, s, x, w, bias, residual, y, activation, defines);
            return;
        }
        var args = new KernelArgs().Int(s.Batch).Int(s.InChannels).Int(s.Height).Int(s.Width).Int(s.OutChannels)
            .Int(s.OutHeight).Int(s.OutWidth).Int(s.KernelH).Int(s.KernelW).Int(s.StrideH).Int(s.StrideW)
            .Int(s.PadTop).Int(s.PadLeft).Int(s.DilationH).Int(s.DilationW).Int(s.Group);
        AddTensors(args, x, w, bias, residual, y, activation);
        // One work-item per group (CPU tiles): deepen the K tile to the whole K (up to PanelDepth, within local
        // memory) so the gathered input panel is packed once and reused by every channel sub-block. Deeper K
        // (ResNet's late 3×3 convs): gather each panel once and keep the sub-blocks' accumulators in local memory.
        bool accLocal = false;
        if (tiles.ThreadsM * tiles.ThreadsN == 1)
        {
            int kg = s.InChannels / s.Group * s.KernelH * s.KernelW;
            long perRow = (tiles.TileM / tiles.SubBlocksM + tiles.TileN) * 4L;
            long accBytes = (long)Math.Max(tiles.TileM, tiles.DeepTileM) * tiles.TileN * 4;
            int cap = (int)Math.Min(tiles.PanelDepth, (stream.Device.Info.LocalMemoryBytes - 8192 - accBytes) / perRow / 64 * 64);
            if (kg > tiles.TileK && cap > tiles.TileK) tiles = tiles with { TileK = (int)Math.Min(OpCheck.RoundUp(kg, 64), cap) };
            accLocal = kg > tiles.TileK && tiles.SubBlocksM > 1;
            // Each gathered panel then serves more channels — up to all of the group's (DeepTileM caps it): the
            // gather, not the FMAs, dominates on a CPU, and these kernels read weights in place (no repacking per
            // channel block). Fewer than 4 groups per core would leave cores idle, so then the tile halves.
            int sub = tiles.TileM / tiles.SubBlocksM;
            int deep = (int)Math.Min(tiles.DeepTileM, OpCheck.RoundUp(s.OutChannels / s.Group, sub));
            long pixelGroups = ((long)s.Batch * s.OutHeight * s.OutWidth + tiles.TileN - 1) / tiles.TileN * s.Group;
            long minGroups = 4L * Math.Max(1, stream.Device.Info.ComputeUnits);
            while (deep > tiles.TileM && pixelGroups * ((s.OutChannels / s.Group + deep - 1) / deep) < minGroups)
                deep = Math.Max(tiles.TileM, (int)OpCheck.RoundUp(deep / 2, sub));
            if (deep > tiles.TileM) tiles = tiles with { TileM = deep, SubBlocksM = deep / sub };
        }
        // GPU tiles: pixel tiles along dim 0, the only grid dimension CUDA lets pass 65,535 groups.
        bool pixelsDim0 = tiles.ThreadsM * tiles.ThreadsN > 1;
        defines.Set("ACC_LOCAL", accLocal ? 1 : 0).Set("PIXELS_DIM0", pixelsDim0 ? 1 : 0);
        defines.Set("TILE_M", tiles.TileM).Set("TILE_N", tiles.TileN).Set("TILE_K", tiles.TileK)
            .Set("WPT_M", tiles.WorkPerThreadM).Set("WPT_N", tiles.WorkPerThreadN).Set("SUBS", tiles.SubBlocksM)
            .Set("POINTWISE", alg == ConvAlgorithm.Pointwise ? 1 : 0);
        long pixels = (long)s.Batch * s.OutHeight * s.OutWidth;
        long pixelTiles = (pixels + tiles.TileN - 1) / tiles.TileN;
        int steps = PixelSteps(stream.Device.Info, s, alg, tiles, pixelTiles, pixelsDim0);
        if (steps > 1) defines.Set("PIXEL_STEPS", steps);
        var kernel = stream.Device.GetKernel("conv.cl", "conv2d", defines);
        long groupsN = (pixelTiles + steps - 1) / steps;
        long groupsM = (s.OutChannels / s.Group + tiles.TileM - 1) / tiles.TileM;
        // CPU: channel tiles along dim 0 (see conv.cl), so neighbouring groups share an input tile.
        if (pixelsDim0) stream.Launch(kernel, [groupsN * tiles.ThreadsN, groupsM * tiles.ThreadsM, s.Group], [tiles.ThreadsN, tiles.ThreadsM, 1], args);
        else stream.Launch(kernel, [groupsM * tiles.ThreadsN, groupsN * tiles.ThreadsM, s.Group], [tiles.ThreadsN, tiles.ThreadsM, 1], args);
    }

    /// <summary>
    /// Consecutive pixel tiles per work-group (conv.cl's PIXEL_STEPS): 4 for a pointwise conv on a CPU whose maps hold
    /// at least 8 tiles (28×28 and up), so each work-group prefetches its next tile's input rows while it computes
    /// this one (ResNet-50's 56×56 1×1s about 11 % less time, MobileNetV2's 112×112 32→16 about 30 %); 1 on smaller maps,
    /// where the next tile is mostly another image and fewer work-groups left cores idle (7×7 1×1s up to 20 % slower),
    /// and whenever that would leave fewer than 16 work-groups per compute unit.
    /// </summary>
    private static int PixelSteps(DeviceInfo device, Conv2dShape s, ConvAlgorithm alg, ConvTiles tiles, long pixelTiles, bool pixelsDim0)
    {
        const int steps = 4;
        bool eligible = !pixelsDim0 && alg == ConvAlgorithm.Pointwise && tiles.ThreadsM * tiles.ThreadsN == 1
            && (long)s.OutHeight * s.OutWidth >= 8L * tiles.TileN && pixelTiles >= 16L * steps * Math.Max(1, device.ComputeUnits);
        return eligible ? steps : 1;
    }

    internal static void AddTensors(KernelArgs args, DeviceTensor x, DeviceTensor w, DeviceTensor? bias, DeviceTensor? residual, DeviceTensor y,
        Activation activation) =>
        // Absent bias/residual: the kernel never reads them (HAS_BIAS/HAS_RES = 0), but every argument must be set.
        args.Buffer(x.Buffer).Long(x.Offset).Buffer(w.Buffer).Long(w.Offset).Buffer(bias?.Buffer ?? y.Buffer).Long(bias?.Offset ?? 0)
            .Buffer(residual?.Buffer ?? y.Buffer).Long(residual?.Offset ?? 0).Buffer(y.Buffer).Long(y.Offset).Float(activation.Alpha).Float(activation.Beta);
}
