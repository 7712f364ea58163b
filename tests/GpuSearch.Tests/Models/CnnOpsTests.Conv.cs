// Conv cases of the CNN op suite: implicit GEMM, pointwise and depthwise kernels, three tile
// configurations, every epilogue activation, residual add and fp16 storage.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    private static readonly Dictionary<string, Conv2dShape> ConvShapes = new()
    {
        ["3x3-p1"] = new(2, 5, 9, 11, 7, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["3x3-s2-asym"] = new(1, 3, 13, 10, 9, 3, 3, 2, 2, 0, 1, 2, 1),
        ["3x3-dil2"] = new(1, 4, 12, 12, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2),
        ["group3"] = new(2, 6, 7, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, Group: 3),
        ["5x3-s21"] = new(1, 3, 11, 8, 4, 5, 3, 2, 1, 2, 1, 2, 1),
        ["1x1"] = new(3, 17, 5, 7, 13, 1, 1),
        ["1x1-straddle"] = new(2, 70, 9, 9, 40, 1, 1),
        ["1x1-s2"] = new(1, 8, 9, 9, 5, 1, 1, 2, 2),
        // Stride 2 on rows wide enough for the CPU gather's even-lane vector copies (conv.cl), with and without pads.
        ["1x1-s2-wide"] = new(2, 6, 5, 70, 7, 1, 1, 2, 2),
        ["3x3-s2-wide"] = new(1, 4, 6, 71, 5, 3, 3, 2, 2, 1, 1, 1, 1),
        // Stride-2 runs of 5 outputs, K = 64 (one whole CPU panel, its last row real): the gather's 16-lane copies write
        // past each run, past the tile's last column (into bs's spare row) and read past the tensor's last row's end.
        ["1x1-s2-short"] = new(3, 64, 10, 10, 8, 1, 1, 2, 2),
        // 9-pixel images: CPU tile vectors of two runs (9 + 7 lanes) and of three (lane by lane; conv_epilogue.h).
        ["1x1-tiny"] = new(5, 9, 3, 3, 7, 1, 1),
        // 128 pixels per image: every 64-pixel CPU tile is one run of one image, read in place (X_IN_PLACE in conv.cl).
        ["1x1-in-place"] = new(2, 70, 8, 16, 40, 1, 1),
        // Maps large enough for several pixel tiles per CPU work-group (Conv2d.PixelSteps; 767 tiles of the "panels" tiles'
        // 16 pixels, the last group three steps, K = 70 past their 64-deep panel: local accumulators too).
        ["1x1-steps"] = new(3, 70, 61, 67, 20, 1, 1),
        // "-streamed": CPU tiles write the output with non-temporal stores (forced: ConvOptions.StreamStores), whose
        // 64-byte aligned rows these 4 MiB fp32 outputs have.
        ["1x1-streamed"] = new(1, 8, 128, 128, 64, 1, 1),
        // The same for the stem and flat depthwise kernels: 8 MiB and 4 MiB outputs.
        ["stem-streamed"] = new(1, 3, 256, 256, 32, 3, 3, 1, 1, 1, 1, 1, 1),
        ["dw3x3-streamed"] = new(1, 64, 128, 128, 64, 3, 3, 1, 1, 1, 1, 1, 1, Group: 64),
        ["dw3x3"] = new(2, 8, 10, 37, 8, 3, 3, 1, 1, 1, 1, 1, 1, Group: 8),
        ["dw3x3-s2-mult2"] = new(1, 5, 9, 9, 10, 3, 3, 2, 2, 0, 0, 1, 1, Group: 5),
        ["dw5x5-dil2"] = new(1, 4, 13, 21, 4, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2, Group: 4),
        // CPU plane kernel: stride 2 wide enough for its vector row split, partial chunks, batch 2.
        ["dw3x3-s2-wide"] = new(2, 3, 11, 70, 3, 3, 3, 2, 2, 1, 1, 1, 1, Group: 3),
        // Stride 3 (three phases), 5×3 taps, asymmetric pads, multiplier 2.
        ["dw5x3-s3-asym"] = new(1, 4, 17, 40, 8, 5, 3, 3, 3, 2, 0, 1, 2, Group: 4),
        // Stride 2 with dilation 2: every tap in one phase.
        ["dw3x3-s2-dil2"] = new(1, 2, 14, 45, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, Group: 2),
        // CPU flat kernel (depthwise_flat.cl): a 7×7 plane (last chunk overlapping, several planes per work-group), stride 2
        // from 14×14 (rows too narrow for the vector split), a plane smaller than one chunk, a stride-2 row split whose
        // last 16 overlap, and no pads (the right-hand taps would wrap onto real columns: the plane kernel instead).
        ["dw3x3-7x7"] = new(3, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, Group: 6),
        ["dw3x3-s2-14"] = new(2, 4, 14, 14, 4, 3, 3, 2, 2, 1, 1, 1, 1, Group: 4),
        ["dw3x3-s2-tiny"] = new(1, 3, 6, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, Group: 3),
        ["dw3x3-s2-w40"] = new(2, 3, 8, 40, 6, 3, 3, 2, 2, 1, 1, 1, 1, Group: 3),
        ["dw3x3-p0"] = new(1, 4, 9, 20, 4, 3, 3, Group: 4),
        // Padded plane past the plane kernel's local tile: the row kernel on CPUs.
        ["dw3x3-big"] = new(1, 2, 120, 300, 2, 3, 3, 1, 1, 1, 1, 1, 1, Group: 2),
        // K = 180 per group: deeper than the "panels" tiles' 64-deep panel, so 3 panels, the last partial.
        ["3x3-deep"] = new(2, 20, 6, 5, 14, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["group2-deep"] = new(1, 40, 5, 7, 10, 3, 3, PadTop: 1, PadLeft: 0, PadBottom: 1, PadRight: 2, Group: 2),
        // Winograd F(4×4, 3×3) shapes: outputs no multiple of 4 (partial edge tiles), no pads, uneven pads, more tiles
        // than one pixel tile of the position GEMMs (T = 128), channel counts no multiple of any tile.
        ["3x3-p0"] = new(3, 18, 10, 13, 21, 3, 3),
        ["3x3-uneven"] = new(1, 16, 7, 6, 17, 3, 3, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 0),
        ["3x3-wide"] = new(2, 24, 30, 30, 20, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        // Past 128 input channels the fused Winograd kernel takes 16 tiles and 16 output channels per block: one whole
        // block (weights read at compile-time row offsets) and a partial one.
        ["3x3-c136"] = new(1, 136, 6, 7, 20, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        // Stem kernel (CPU first convs, kernels/conv_stem.cl): ResNet's 7×7/2 with channels no multiple of its 8-row
        // register tile and a row of one chunk plus a partial vector (2-row blocks: few work-groups at batch 2);
        // MobileNet's 3×3/2 with 8-row blocks, the last one partial; 4 channels, stride 1, 5×3, asymmetric pads;
        // one channel with dilation 2 on stride 2; stride 3 (three phases).
        ["stem7x7-s2"] = new(2, 3, 40, 37, 20, 7, 7, 2, 2, 3, 3, 3, 3),
        ["stem3x3-s2"] = new(2, 3, 67, 70, 13, 3, 3, 2, 2, 1, 1, 1, 1),
        ["stem5x3-asym"] = new(1, 4, 9, 50, 9, 5, 3, 1, 1, 2, 0, 1, 2),
        ["stem-dil2"] = new(1, 1, 30, 60, 5, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
        ["stem-s3"] = new(1, 3, 20, 100, 8, 3, 3, 3, 3, 1, 1, 1, 1),
    };

    private static readonly Dictionary<string, ConvTiles> TileSets = new()
    {
        ["cpu"] = ConvTiles.Cpu,
        ["gpu"] = ConvTiles.Gpu,
        // The shipped AVX2 default (GpuSearch.Models.Tuning.TuningDefaults) runs on PoCL whatever this host's ISA.
        ["avx2"] = GpuSearch.Models.Tuning.TuningDefaults.For(GpuSearch.Models.Tuning.DeviceClass.CpuAvx2).ConvDefault,
        ["small"] = new ConvTiles(16, 32, 8, 4, 8, 4, 4),
        ["subs"] = new ConvTiles(24, 16, 8, 4, 16, 8, 2, SubBlocksM: 3),
        // One work-item, three sub-blocks, 64-deep panels: K > 64 takes the local-accumulator path (ACC_LOCAL).
        ["panels"] = new ConvTiles(12, 16, 8, 4, 16, SubBlocksM: 3, PanelDepth: 64),
        ["panels-deep"] = new ConvTiles(12, 16, 8, 4, 16, SubBlocksM: 3, PanelDepth: 64, DeepTileM: 20),
    };

    private static IEnumerable<string> ConvCases()
    {
        foreach (var s in ConvShapes.Keys)
            foreach (var t in TileSets.Keys) yield return $"conv {s} auto {t} bias-relu";
        foreach (var s in new[] { "1x1", "dw3x3", "dw3x3-s2-mult2" }) yield return $"conv {s} implicit cpu bias-relu";
        foreach (var s in new[] { "3x3-deep", "group2-deep", "1x1-straddle" })
        {
            yield return $"conv {s} implicit panels res-clip";
            yield return $"conv {s} implicit panels fp16-relu";
        }
        yield return "conv 1x1-straddle auto panels bias-relu"; // pointwise gather with local accumulators
        yield return "conv 1x1-in-place auto panels res-clip"; // in-place input rows with local accumulators
        foreach (var e in new[] { "bias-relu", "res-clip" }) yield return $"conv 1x1-streamed auto cpu {e}";
        foreach (var e in new[] { "bias-relu", "res-clip", "fp16-relu" }) yield return $"conv 1x1-steps auto panels {e}";
        foreach (var s in new[] { "3x3-deep", "group2-deep" }) yield return $"conv {s} implicit panels-deep bias-relu";
        // RoundToHalf is a Cast, not an epilogue: rounding amplifies accumulation-order differences to an fp16 ulp.
        foreach (var a in Enum.GetValues<ActivationKind>().Where(k => k != ActivationKind.RoundToHalf))
        {
            yield return $"conv 3x3-p1 auto cpu bias-{a}";
            yield return $"conv dw3x3 auto cpu bias-{a}";
            yield return $"conv 1x1-in-place auto cpu bias-{a}"; // the float16 epilogue (apply_act16)
        }
        foreach (var s in new[] { "3x3-p1", "3x3-deep", "3x3-p0", "3x3-uneven", "3x3-wide" })
            foreach (var t in new[] { "cpu", "gpu", "panels" }) yield return $"conv {s} winograd {t} bias-relu";
        foreach (var s in new[] { "3x3-p0", "3x3-wide" })
            foreach (var e in new[] { "res-clip", "nobias-leaky", "fp16-relu", "fp16w-relu", "bias-Silu" }) yield return $"conv {s} winograd cpu {e}";
        foreach (var s in ConvShapes.Keys.Where(k => k.StartsWith("stem", StringComparison.Ordinal)))
            foreach (var e in new[] { "bias-relu", "res-clip", "nobias-leaky", "fp16w-relu", "bias-Silu", "bias-Clip" })
                yield return $"conv {s} stem cpu {e}";
        // The fused Winograd kernel (CPU OpenCL devices only: float16 vectors).
        foreach (var s in new[] { "3x3-p1", "3x3-deep", "3x3-p0", "3x3-uneven", "3x3-wide", "3x3-c136" }) yield return $"conv {s} wfused cpu bias-relu";
        foreach (var s in new[] { "3x3-p0", "3x3-wide" })
            foreach (var e in new[] { "res-clip", "nobias-leaky", "fp16-relu", "fp16w-relu", "bias-Silu" }) yield return $"conv {s} wfused cpu {e}";
        foreach (var s in new[] { "3x3-p1", "1x1-straddle", "1x1-tiny", "1x1-in-place", "dw3x3", "dw3x3-s2-wide", "dw3x3-7x7", "dw3x3-s2-14", "stem7x7-s2" })
        {
            yield return $"conv {s} auto cpu res-clip";
            yield return $"conv {s} auto gpu res-clip";
            yield return $"conv {s} auto cpu nobias-leaky";
            yield return $"conv {s} auto cpu fp16-relu";
            yield return $"conv {s} auto gpu fp16w-relu";
        }
    }

    private static Activation ActFor(ActivationKind k) => k switch
    {
        ActivationKind.LeakyRelu => Activation.LeakyRelu(0.1f),
        ActivationKind.Clip => Activation.Clip(-0.5f, 0.75f),
        ActivationKind.HardSigmoid => Activation.HardSigmoid(0.3f, 0.4f),
        _ => Activation.Of(k),
    };

    private static void RunConv(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        var shape = ConvShapes[p[1]];
        var alg = p[2] switch { "implicit" => ConvAlgorithm.ImplicitGemm, "stem" => ConvAlgorithm.Stem, _ => ConvAlgorithm.Auto };
        bool fused = p[2] == "wfused", winograd = fused || p[2] == "winograd";
        if (fused && !(d.Info.IsCpu && d.Info.Backend == ComputeBackend.OpenCL)) return;
        var tiles = TileSets[p[3]];
        var epi = p[4];
        var act = epi switch
        {
            "res-clip" => Activation.Clip(0f, 6f),
            "nobias-leaky" => Activation.LeakyRelu(0.2f),
            _ when epi.EndsWith("-relu") => Activation.Relu,
            _ => ActFor(Enum.Parse<ActivationKind>(epi["bias-".Length..])),
        };
        bool hasBias = epi != "nobias-leaky", hasRes = epi == "res-clip";
        bool halfX = epi == "fp16-relu", halfW = epi is "fp16-relu" or "fp16w-relu";
        int seed = Seed(name);
        // Sqrt/Log/Reciprocal need positive arguments: shift the bias so conv outputs stay well above 0.
        bool positive = act.Kind is ActivationKind.Sqrt or ActivationKind.Log or ActivationKind.Reciprocal;
        var x = Random(seed, shape.InputCount, positive ? 0f : -1f, 1f);
        var w = Random(seed + 1, shape.WeightCount, positive ? 0f : -1f, 1f);
        var bias = Random(seed + 2, shape.OutChannels, positive ? 0.5f : -1f, 1f);
        var res = Random(seed + 3, shape.OutputCount, -3f, 3f);
        if (halfX) { Round(x); Round(res); }
        if (halfW) Round(w);

        var storage = halfX ? TensorStorage.F16 : TensorStorage.F32;
        // The stem kernel exists on OpenCL CPUs only; elsewhere its cases check the kernel Auto picks.
        if (alg == ConvAlgorithm.Stem && !ConvStem.Supports(d.Info, shape, storage)) alg = ConvAlgorithm.Auto;
        using var xb = halfX ? UploadHalf(d, x) : Upload(d, x);
        // Winograd takes the transformed weights U = G g Gᵀ in fp32 as the session uploads them (fp16 weights are rounded
        // before the transform: fp16 U would lose ~1% through the output transform's coefficients).
        using var wb = winograd ? Upload(d, Winograd.TransformWeights(w, shape.OutChannels, shape.InChannels)) : halfW ? UploadHalf(d, w) : Upload(d, w);
        using var bb = Upload(d, bias);
        using var rb = halfX ? UploadHalf(d, res) : Upload(d, res);
        using var y = new GuardedBuffer(d, shape.OutputCount, elementSize: halfX ? 2 : 4);
        var opts = new ConvOptions(alg, tiles, StreamStores: p[1].EndsWith("-streamed", StringComparison.Ordinal) ? true : null);
        var wStorage = halfW ? TensorStorage.F16 : TensorStorage.F32;
        int[] xShape = [shape.Batch, shape.InChannels, shape.Height, shape.Width], yShape = [shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth];
        DeviceTensor? biasT = hasBias ? new DeviceTensor(bb, 0, [shape.OutChannels]) : null, resT = hasRes ? new DeviceTensor(rb, 0, yShape, null, storage) : null;
        var yT = new DeviceTensor(y.Buffer, y.Offset, yShape, null, storage);
        if (fused)
            WinogradFused.Run(d.Stream, shape, new DeviceTensor(xb, 0, xShape, null, storage),
                new DeviceTensor(wb, 0, [Winograd.Positions * shape.OutChannels, shape.InChannels]), biasT, resT, yT, act);
        else if (winograd)
        {
            // Scratch in guarded buffers too: the transforms must stay inside V and Mo.
            using var v = new GuardedBuffer(d, Winograd.InputScratch(shape));
            using var mo = new GuardedBuffer(d, Winograd.OutputScratch(shape));
            Winograd.Run(d.Stream, shape, new DeviceTensor(xb, 0, xShape, null, storage),
                new DeviceTensor(wb, 0, [Winograd.Positions * shape.OutChannels, shape.InChannels]), biasT, resT, yT, act,
                DeviceTensor.Flat(v.Buffer, v.Offset, Winograd.InputScratch(shape)), DeviceTensor.Flat(mo.Buffer, mo.Offset, Winograd.OutputScratch(shape)), tiles);
            v.DownloadPayload<float>(d.Stream); // throws if a guard was overwritten
            mo.DownloadPayload<float>(d.Stream);
        }
        else
            Conv2d.Run(d.Stream, shape, new DeviceTensor(xb, 0, xShape, null, storage),
                new DeviceTensor(wb, 0, [shape.OutChannels, shape.InChannels / shape.Group, shape.KernelH, shape.KernelW], null, wStorage),
                biasT, resT, yT, act, opts);
        var got = halfX ? y.DownloadPayload<Half>(d.Stream).Select(h => (float)h).ToArray() : y.DownloadPayload<float>(d.Stream);
        var want = CnnReference.Conv(shape, x, w, hasBias ? bias : null, hasRes ? res : null, act);
        int k = shape.InChannels / shape.Group * shape.KernelH * shape.KernelW;
        // fp32 accumulation over K terms of magnitude ≤ 1, then transcendental activations (a few ulp).
        double atol = halfX ? 2e-3 : 2e-6 * Math.Sqrt(k) + 1e-6, rtol = halfX ? 1.5e-3 : 1e-5;
        // Winograd: the transforms' coefficients (up to 5 in Bᵀ, 8 in Aᵀ) scale fp32 rounding by ~10²; with fp16
        // storage the fp16 roundings (input, output, residual) are the direct kernel's and dominate.
        if (winograd && !halfX) (atol, rtol) = (2e-5 * Math.Sqrt(k), 1e-4);
        AssertClose(want, got, rtol, atol, name);
    }

    private static void Round(float[] a)
    {
        for (long i = 0; i < a.Length; i++) a[i] = (float)(Half)a[i];
    }
}
