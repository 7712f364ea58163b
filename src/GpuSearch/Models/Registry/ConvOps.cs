// Convolution (ONNX Conv and the optimizer's FusedConv, 1-D and 2-D) and BatchNormalization (folded into a
// preceding conv by the optimizer; a standalone one, e.g. DenseNet's BN → ReLU → Conv, runs its own kernel).
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ConvOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Conv", Check = CheckConv, Shape = InferConv, Lower = (l, n) => LowerConv(l, n, fused: false) },
        new() { OpType = FusedOps.FusedConv, Check = CheckConv, Shape = InferConv, Lower = (l, n) => LowerConv(l, n, fused: true) },
        new()
        {
            OpType = "BatchNormalization", Check = CheckBatchNorm, Lower = LowerBatchNorm,
            Shape = (g, n) => { var x = In(g, n, 0); SetOut(g, n, 0, x.DataType, x.Shape); },
        },
    ];

    private static string? CheckConv(ModelGraph g, GraphNode n)
    {
        if (!SupportRules.IsConstantExpression(g, n.Input(1))) return $"weight input '{n.Input(1)}' is not a constant (only constant weights are supported)";
        if (n.HasInput(2) && !SupportRules.IsConstantExpression(g, n.Input(2))) return $"bias input '{n.Input(2)}' is not a constant";
        return AttributeRanges.First(AttributeRanges.Window(n), AttributeRanges.AtLeast(n, "group", 1), SupportRules.AutoPad(n));
    }

    private static string? CheckBatchNorm(ModelGraph g, GraphNode n)
    {
        for (int i = 1; i <= 4; i++)
            if (!SupportRules.IsConstantExpression(g, n.Input(i))) return $"input {i} ('{n.Input(i)}') is not a constant (only inference-mode BatchNormalization is supported)";
        if (n.GetInt("training_mode", 0) != 0) return "attribute training_mode=1 is not supported";
        if (n.Outputs.Skip(1).Any(o => o.Length > 0)) return "running mean/variance outputs (training) are not supported";
        return AttributeRanges.FiniteNonNegative(n, "epsilon", 1e-5f);
    }

    private static void InferConv(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var w = ShapeOf(g, n, 1);
        if (x.Rank < 3) throw new InvalidDataException($"{n.Describe()}: input must have rank ≥ 3, got {x}");
        if (w.Rank != x.Rank) throw new InvalidDataException($"{n.Describe()}: weight {w} and input {x} ranks differ");
        long group = n.GetInt("group", 1);
        if (x[1].IsKnown && w[1].IsKnown && x[1].Value != w[1].Value * group)
            throw new InvalidDataException($"{n.Describe()}: input channels {x[1]} != weight channels {w[1]} × group {group}");
        var kernel = n.GetInts("kernel_shape") ?? w.Dims.Skip(2).Select(v => v.Value).ToArray();
        var geo = ConvGeometry.Resolve(n, Spatial(x), kernel);
        SetOut(g, n, 0, In(g, n, 0).DataType, WithSpatial(x[0], w[0], geo.Output));
    }

    private static void LowerConv(Lowering l, GraphNode n, bool fused)
    {
        string x = n.Input(0), w = n.Input(1), b = n.Input(2), r = fused ? n.Input(FusedOps.ResidualInput) : "", y = n.Outputs[0];
        var xs = l.Shape(x);
        var ws = l.Shape(w);
        if (xs.Length is not (3 or 4)) throw new NotSupportedException($"{xs.Length - 2}-D convolution (only 1-D and 2-D)");
        bool oneD = xs.Length == 3;
        var spatial = xs.Skip(2).Select(v => (long)v).ToArray();
        var kernel = n.GetInts("kernel_shape") ?? ws.Skip(2).Select(v => (long)v).ToArray();
        var geo = ConvGeometry.Resolve(n, spatial, kernel);
        int group = (int)n.GetInt("group", 1);
        // A 1-D conv is a 2-D conv over a height-1 image.
        var shape = oneD
            ? new Conv2dShape(xs[0], xs[1], 1, xs[2], ws[0], 1, (int)kernel[0], 1, (int)geo.Strides[0], 0, (int)geo.Pads[0], 0, (int)geo.Pads[1],
                1, (int)geo.Dilations[0], group)
            : new Conv2dShape(xs[0], xs[1], xs[2], xs[3], ws[0], (int)kernel[0], (int)kernel[1], (int)geo.Strides[0], (int)geo.Strides[1],
                (int)geo.Pads[0], (int)geo.Pads[1], (int)geo.Pads[2], (int)geo.Pads[3], (int)geo.Dilations[0], (int)geo.Dilations[1], group);
        shape.Validate();
        if (Lowering.Count(l.Shape(y)) != shape.OutputCount)
            throw new InvalidOperationException($"conv output {shape.OutputCount} elements disagrees with inferred shape [{string.Join(",", l.Shape(y))}]");
        var act = fused ? Lowering.FusedActivation(n) : Activation.None;
        var wStorage = l.Const(w) is not null ? l.Options.WeightStorage : TensorStorage.F32;
        var opts = new ConvOptions(ConvAlgorithm.Auto, l.Tiles);
        bool hasBias = b.Length > 0, hasRes = r.Length > 0;
        int[] xShape = l.Shape(x), yShape = l.Shape(y);
        if (!oneD && l.IsCpu && Winograd.Enabled && Winograd.Pays(shape, l.Tiles.TileN) && l.Const(w) is { IsFloating: true } wc)
        {
            LowerWinograd(l, n, shape, wc, wStorage, act, xShape, yShape);
            return;
        }
        l.Emit(n, [x, w, b, r], [y], (s, v) =>
        {
            DeviceTensor? B = hasBias ? v[b].View([shape.OutChannels]) : null, R = hasRes ? v[r].View(yShape) : null;
            Conv2d.Run(s, shape, v[x].View(xShape), v.Weight(w, wStorage).View(ws, wStorage), B, R, v[y].View(yShape), act, opts);
        });
    }

    /// <summary>
    /// A 3×3 stride-1 conv on a CPU as Winograd F(4×4, 3×3): the weight transform is a plan constant (uploaded once
    /// per session, shared by every batch size) and the transformed tiles are arena scratch of this step.
    /// </summary>
    private static void LowerWinograd(Lowering l, GraphNode n, Conv2dShape shape, ConstTensor wc, TensorStorage wStorage, Activation act,
        int[] xShape, int[] yShape)
    {
        string x = n.Input(0), w = n.Input(1), b = n.Input(2), r = n.OpType == FusedOps.FusedConv ? n.Input(FusedOps.ResidualInput) : "", y = n.Outputs[0];
        var uk = wStorage == TensorStorage.F16 ? $"{w}@winograd4x4_f16w" : $"{w}@winograd4x4";
        int[] uShape = [Winograd.Positions * shape.OutChannels, shape.InChannels];
        // U = 4× the weights: made on the session's first use and uploaded piece by piece, shared by every plan (batch
        // size) and never whole on the host (ResNet-18's are 168 MB). fp16 weight storage rounds the 3×3 weights (as the
        // direct kernel sees them) and keeps U in fp32: U rounded to fp16 would lose ~1% through the output transform.
        long uElements = (long)Winograd.Positions * shape.OutChannels * shape.InChannels;
        void MakeU(ConstantSink sink)
        {
            var g = wc.ToFloats(); // the constant itself: round a copy, never the constant in place
            if (wStorage == TensorStorage.F16)
            {
                g = (float[])g.Clone();
                for (long i = 0; i < g.Length; i++) g[i] = (float)(Half)g[i];
            }
            Winograd.TransformWeights(g, shape.OutChannels, shape.InChannels, sink);
        }
        bool hasBias = b.Length > 0, hasRes = r.Length > 0;
        if (WinogradFused.Enabled && WinogradFused.Supports(shape))
        {
            l.Emit(n, [x, b, r], [y], (s, v) =>
            {
                DeviceTensor? B = hasBias ? v[b].View([shape.OutChannels]) : null, R = hasRes ? v[r].View(yShape) : null;
                WinogradFused.Run(s, shape, v[x].View(xShape), v.Derived(uk, uElements, MakeU).View(uShape), B, R, v[y].View(yShape), act);
            });
            return;
        }
        var vk = l.Scratch($"{y}@winograd_v", Winograd.InputScratch(shape));
        var mk = l.Scratch($"{y}@winograd_m", Winograd.OutputScratch(shape));
        l.Emit(n, [x, b, r], [y, vk, mk], (s, v) =>
        {
            DeviceTensor? B = hasBias ? v[b].View([shape.OutChannels]) : null, R = hasRes ? v[r].View(yShape) : null;
            Winograd.Run(s, shape, v[x].View(xShape), v.Derived(uk, uElements, MakeU).View(uShape), B, R, v[y].View(yShape), act,
                v[vk].View([(int)Winograd.InputScratch(shape)]), v[mk].View([(int)Winograd.OutputScratch(shape)]), l.Tiles);
        });
    }

    private static void LowerBatchNorm(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        if (xs.Length < 2) throw new NotSupportedException("BatchNormalization needs [N, C, ...]");
        var eps = n.GetFloat("epsilon", 1e-5f);
        string sc = n.Input(1), bi = n.Input(2), me = n.Input(3), va = n.Input(4);
        l.Emit(n, [x, sc, bi, me, va], [y], (s, v) =>
        {
            int[] c = [xs[1]];
            Normalization.BatchNorm(s, eps, v[x].View(xs), v[sc].View(c), v[bi].View(c), v[me].View(c), v[va].View(c), v[y].View(xs));
        });
    }
}
