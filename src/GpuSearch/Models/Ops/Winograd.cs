// Host side of kernels/winograd.cl: Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions on CPUs — the weight
// transform (once per model, on the host), eligibility, and the three launches (input transform, the 36
// position GEMMs as one grouped 1×1 conv, output transform with the fused epilogue).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>
/// Winograd F(4×4, 3×3) convolution: 4× fewer multiply-accumulates than the direct 3×3 conv, paid for with
/// two transforms through fp32 scratch tensors. Used on CPU devices, where the direct kernel already runs near
/// the FMA peak, so only fewer FLOPs make it faster.
/// </summary>
internal static class Winograd
{
    /// <summary>Output tile edge (m of F(m, r)).</summary>
    public const int TileSize = 4;
    /// <summary>Positions of the 6×6 transformed tile: the number of independent GEMMs.</summary>
    public const int Positions = 36;

    // G of F(4, 3) (Lavin & Gray): U = G g Gᵀ turns a 3×3 filter into its 6×6 transform.
    private static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    /// <summary>False when the environment sets <c>GPUSEARCH_WINOGRAD=0</c> (or <c>off</c>): every conv runs direct.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("GPUSEARCH_WINOGRAD") is not ("0" or "off" or "OFF");

    /// <summary>Shapes the transform computes: 3×3 kernel, stride 1, dilation 1, one group.</summary>
    public static bool Supports(Conv2dShape s) =>
        s.KernelH == 3 && s.KernelW == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1 && s.Group == 1 &&
        (long)Positions * Math.Max(s.InChannels, s.OutChannels) * Tiles(s) <= int.MaxValue;

    /// <summary>
    /// Where it pays on a CPU, by measurement (ResNet 3×3 layers, batch 8 and 32, CPU time). The three-launch form
    /// streams V and Mo (2.25× the input and output) through memory: at 64 channels that ate the GEMMs' gain, from
    /// 128 channels it takes 1.4–2.5× less than the direct kernel. The fused kernel (<see cref="WinogradFused"/>, at
    /// most 256 input channels) keeps them in cache: about half the direct kernel's CPU time at 64 channels, half the
    /// three launches' at 128, on par with them at 256 × 14² batch 8 and ahead at batch 1–2 and 32. The position
    /// GEMMs pad the tile count to their block (the pixel tile, <paramref name="pixelTile"/>, or the fused kernel's
    /// <see cref="WinogradFused.TileBlock"/>), so few tiles (small images at batch 1–4) waste most of each block:
    /// Winograd must also need at most ¾ of the direct kernel's padded multiply-accumulates.
    /// </summary>
    public static bool Pays(Conv2dShape s, int pixelTile)
    {
        bool fused = WinogradFused.Enabled && WinogradFused.Supports(s);
        int minChannels = fused ? 64 : 128;
        if (!Supports(s) || s.InChannels < minChannels || s.OutChannels < minChannels) return false;
        long wino = Positions * OpCheck.RoundUp(Tiles(s), fused ? WinogradFused.TileBlock(s) : pixelTile);
        long direct = 9 * OpCheck.RoundUp((long)s.Batch * s.OutHeight * s.OutWidth, pixelTile);
        return 4 * wino <= 3 * direct;
    }

    /// <summary>Output tiles of the whole batch: T = N · ⌈OH/4⌉ · ⌈OW/4⌉.</summary>
    public static long Tiles(Conv2dShape s) => (long)s.Batch * TilesH(s) * TilesW(s);

    /// <summary>Elements of the transformed input V [36][C][T] (fp32).</summary>
    public static long InputScratch(Conv2dShape s) => Positions * s.InChannels * Tiles(s);

    /// <summary>Elements of the transformed output Mo [36][M][T] (fp32).</summary>
    public static long OutputScratch(Conv2dShape s) => Positions * s.OutChannels * Tiles(s);

    private static int TilesH(Conv2dShape s) => (s.OutHeight + TileSize - 1) / TileSize;
    private static int TilesW(Conv2dShape s) => (s.OutWidth + TileSize - 1) / TileSize;

    /// <summary>
    /// U = G g Gᵀ of every filter: ONNX weights [M][C][3][3] → [36][M][C] (position-major, so position p's
    /// [M × C] block is group p of a grouped 1×1 conv's weights). Computed in double, stored as float.
    /// </summary>
    public static float[] TransformWeights(ReadOnlySpan<float> w, int outChannels, int inChannels)
    {
        var u = new float[(long)Positions * outChannels * inChannels];
        TransformWeights(w, outChannels, inChannels, (piece, offset) => piece.CopyTo(u.AsSpan((int)offset)));
        return u;
    }

    /// <summary>
    /// <see cref="TransformWeights(ReadOnlySpan{float}, int, int)"/> handed to <paramref name="sink"/> in pieces of at
    /// most ~4 MB: a block of output channels at a time, one contiguous piece per position.
    /// </summary>
    public static void TransformWeights(ReadOnlySpan<float> w, int outChannels, int inChannels, ConstantSink sink)
    {
        OpCheck.Positive("Winograd weight dims", outChannels, inChannels);
        if (w.Length != (long)outChannels * inChannels * 9)
            throw new ArgumentException($"Winograd weights have {w.Length} elements, expected {outChannels}×{inChannels}×3×3", nameof(w));
        int rows = Math.Clamp((1 << 20) / (Positions * inChannels), 1, outChannels);
        var block = new float[(long)Positions * rows * inChannels];
        var gg = new double[6, 3];
        for (int m0 = 0; m0 < outChannels; m0 += rows)
        {
            int mr = Math.Min(rows, outChannels - m0);
            for (int dm = 0; dm < mr; dm++)
                for (int c = 0; c < inChannels; c++)
                {
                    var g = w.Slice(((m0 + dm) * inChannels + c) * 9, 9);
                    for (int i = 0; i < 6; i++)
                        for (int k = 0; k < 3; k++)
                            gg[i, k] = G[i, 0] * g[k] + G[i, 1] * g[3 + k] + G[i, 2] * g[6 + k];
                    for (int i = 0; i < 6; i++)
                        for (int j = 0; j < 6; j++)
                            block[((long)(6 * i + j) * mr + dm) * inChannels + c] = (float)(gg[i, 0] * G[j, 0] + gg[i, 1] * G[j, 1] + gg[i, 2] * G[j, 2]);
                }
            for (int p = 0; p < Positions; p++)
                sink(block.AsSpan(p * mr * inChannels, mr * inChannels), ((long)p * outChannels + m0) * inChannels);
        }
    }

    /// <summary>Enqueues <c>y = act(conv3×3(x, w) + bias + residual)</c> as Winograd F(4×4, 3×3).</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="shape">Geometry; must be <see cref="Supports">supported</see>.</param>
    /// <param name="x">Input [N, C, H, W]; its storage is also y's and the residual's.</param>
    /// <param name="u">Transformed weights [36·M, C] from <see cref="TransformWeights(ReadOnlySpan{float}, int, int)"/>, fp32 or fp16.</param>
    /// <param name="bias">Bias [M] (fp32), or null.</param>
    /// <param name="residual">Tensor of the output's shape added before the activation, or null.</param>
    /// <param name="y">Output [N, M, OH, OW].</param>
    /// <param name="activation">Activation applied last.</param>
    /// <param name="v">fp32 scratch of <see cref="InputScratch"/> elements; must not overlap anything else.</param>
    /// <param name="mo">fp32 scratch of <see cref="OutputScratch"/> elements; must not overlap anything else.</param>
    /// <param name="tiles">Tiles of the position GEMMs (conv.cl's pointwise path), the device's if null.</param>
    public static void Run(ComputeStream stream, Conv2dShape shape, DeviceTensor x, DeviceTensor u, DeviceTensor? bias, DeviceTensor? residual,
        DeviceTensor y, Activation activation, DeviceTensor v, DeviceTensor mo, ConvTiles? tiles = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        if (!Supports(shape))
            throw new ArgumentException($"Winograd F(4×4, 3×3) needs a 3×3 stride-1 undilated ungrouped conv, got kernel {shape.KernelH}×{shape.KernelW}, " +
                $"stride {shape.StrideH}×{shape.StrideW}, dilation {shape.DilationH}×{shape.DilationW}, group {shape.Group}", nameof(shape));
        activation.Validate();
        var storage = x.DType;
        x.Require(nameof(x), shape.InputCount, storage);
        u.Require(nameof(u), (long)Positions * shape.OutChannels * shape.InChannels, u.DType);
        bias?.Require(nameof(bias), shape.OutChannels, TensorStorage.F32);
        residual?.Require(nameof(residual), shape.OutputCount, storage);
        y.Require(nameof(y), shape.OutputCount, storage);
        v.Require(nameof(v), InputScratch(shape), TensorStorage.F32);
        mo.Require(nameof(mo), OutputScratch(shape), TensorStorage.F32);

        int th = TilesH(shape), tw = TilesW(shape);
        int t = checked((int)Tiles(shape));
        int c = shape.InChannels, m = shape.OutChannels;
        var defines = new KernelDefines().Set("ACT", (int)activation.Kind).Set("HAS_BIAS", bias is null ? 0 : 1)
            .Set("HAS_RES", residual is null ? 0 : 1).Set("X_F16", storage == TensorStorage.F16 ? 1 : 0);
        // 64 tiles per work-group along dim 0: on PoCL a work-group's items become SIMD lanes, so V/Mo rows move as
        // vectors. Measured on the AVX-512 Xeon (ResNet-18 layer 1, batch 8): 32–256 tiles cost the same CPU time,
        // 16 tiles × 4 channels twice as much (each group then writes 144 short runs of V).
        const int local = 64;
        long tilesGlobal = OpCheck.RoundUp(t, local);

        var input = stream.Device.GetKernel("winograd.cl", "winograd_input", defines);
        stream.Launch(input, [tilesGlobal, c], [local, 1], new KernelArgs().Int(shape.Batch).Int(c).Int(shape.Height).Int(shape.Width)
            .Int(th).Int(tw).Int(shape.PadTop).Int(shape.PadLeft).Buffer(x.Buffer).Long(x.Offset).Buffer(v.Buffer).Long(v.Offset));

        // The 36 position products U_p[M × C] · V_p[C × T] as one grouped 1×1 conv over a 1×T "image" of 36·C channels.
        var gemm = new Conv2dShape(1, Positions * c, 1, t, Positions * m, 1, 1, Group: Positions);
        Conv2d.Run(stream, gemm, v.Reshaped(1, Positions * c, 1, t), u.Reshaped(Positions * m, c, 1, 1), null, null,
            mo.Reshaped(1, Positions * m, 1, t), Activation.None, new ConvOptions(ConvAlgorithm.Pointwise, tiles));

        var output = stream.Device.GetKernel("winograd.cl", "winograd_output", defines);
        stream.Launch(output, [tilesGlobal, m], [local, 1], new KernelArgs().Int(shape.Batch).Int(m).Int(shape.OutHeight).Int(shape.OutWidth)
            .Int(th).Int(tw).Buffer(mo.Buffer).Long(mo.Offset)
            .Buffer(bias?.Buffer ?? y.Buffer).Long(bias?.Offset ?? 0).Buffer(residual?.Buffer ?? y.Buffer).Long(residual?.Offset ?? 0)
            .Buffer(y.Buffer).Long(y.Offset).Float(activation.Alpha).Float(activation.Beta));
    }
}
