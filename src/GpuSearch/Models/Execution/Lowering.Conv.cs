// Lowering of Conv / FusedConv (1-D and 2-D) and unfused BatchNormalization.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddConv(Dictionary<string, Action<Lowering, GraphNode>> h)
    {
        h["Conv"] = (l, n) => l.LowerConv(n, fused: false);
        h[FusedOps.FusedConv] = (l, n) => l.LowerConv(n, fused: true);
        h["BatchNormalization"] = (l, n) => l.LowerBatchNorm(n);
    }

    private void LowerConv(GraphNode n, bool fused)
    {
        string x = n.Input(0), w = n.Input(1), b = n.Input(2), r = fused ? n.Input(FusedOps.ResidualInput) : "", y = n.Outputs[0];
        var xs = Shape(x);
        var ws = Shape(w);
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
        if (Count(Shape(y)) != shape.OutputCount) throw new InvalidOperationException($"conv output {shape.OutputCount} elements disagrees with inferred shape [{string.Join(",", Shape(y))}]");
        var act = fused ? FusedActivation(n) : Activation.None;
        var wStorage = Const(w) is not null ? Options.WeightStorage : TensorStorage.F32;
        var opts = new ConvOptions(TensorStorage.F32, wStorage, ConvAlgorithm.Auto, Tiles);
        bool hasBias = b.Length > 0, hasRes = r.Length > 0;
        Emit(n, [x, w, b, r], [y], (s, v) =>
        {
            var X = v[x]; var W = v.Weight(w, wStorage); var Y = v[y];
            DeviceSlice? B = hasBias ? v[b] : null, R = hasRes ? v[r] : null;
            Conv2d.Run(s, shape, X.Buffer, X.Offset, W.Buffer, W.Offset, B?.Buffer, B?.Offset ?? 0, R?.Buffer, R?.Offset ?? 0,
                Y.Buffer, Y.Offset, act, opts);
        });
    }

    private void LowerBatchNorm(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        if (xs.Length < 2) throw new NotSupportedException("BatchNormalization needs [N, C, ...]");
        long inner = Count(xs) / ((long)xs[0] * xs[1]);
        var eps = n.GetFloat("epsilon", 1e-5f);
        string sc = n.Input(1), bi = n.Input(2), me = n.Input(3), va = n.Input(4);
        Emit(n, [x, sc, bi, me, va], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            var (S, B, M, V) = (v[sc], v[bi], v[me], v[va]);
            Normalization.BatchNorm(s, xs[0], xs[1], Math.Max(1, inner), eps, X.Buffer, X.Offset, (S.Buffer, S.Offset), (B.Buffer, B.Offset),
                (M.Buffer, M.Offset), (V.Buffer, V.Offset), Y.Buffer, Y.Offset);
        });
    }
}
