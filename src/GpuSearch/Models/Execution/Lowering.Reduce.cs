// Lowering of pools, Softmax/LogSoftmax, reductions over axes and LayerNormalization.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddReductions(Dictionary<string, Action<Lowering, GraphNode>> h)
    {
        h["MaxPool"] = (l, n) => l.LowerPool(n, max: true);
        h["AveragePool"] = (l, n) => l.LowerPool(n, max: false);
        h["GlobalMaxPool"] = (l, n) => l.LowerGlobalPool(n, max: true);
        h["GlobalAveragePool"] = (l, n) => l.LowerGlobalPool(n, max: false);
        h["Softmax"] = (l, n) => l.LowerSoftmax(n, log: false);
        h["LogSoftmax"] = (l, n) => l.LowerSoftmax(n, log: true);
        foreach (var (op, r) in new (string, AxisReduceOp)[]
                 {
                     ("ReduceMean", AxisReduceOp.Mean), ("ReduceL2", AxisReduceOp.L2), ("ReduceSum", AxisReduceOp.Sum),
                     ("ReduceMax", AxisReduceOp.Max), ("ReduceMin", AxisReduceOp.Min), ("ReduceSumSquare", AxisReduceOp.SumSquare),
                 })
            h[op] = (l, n) => l.LowerReduce(n, r);
        h["LayerNormalization"] = (l, n) => l.LowerLayerNorm(n);
    }

    private void LowerPool(GraphNode n, bool max)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        if (xs.Length is not (3 or 4)) throw new NotSupportedException($"{xs.Length - 2}-D pooling (only 1-D and 2-D)");
        var kernel = n.GetInts("kernel_shape") ?? throw new NotSupportedException("pool without kernel_shape");
        bool ceil = n.GetInt("ceil_mode", 0) != 0;
        var geo = ConvGeometry.Resolve(n, xs.Skip(2).Select(v => (long)v).ToArray(), kernel, ceil);
        bool oneD = xs.Length == 3;
        var shape = oneD
            ? new Pool2dShape(xs[0], xs[1], 1, xs[2], 1, (int)kernel[0], 1, (int)geo.Strides[0], 0, (int)geo.Pads[0], 0, (int)geo.Pads[1],
                1, (int)geo.Dilations[0], ceil)
            : new Pool2dShape(xs[0], xs[1], xs[2], xs[3], (int)kernel[0], (int)kernel[1], (int)geo.Strides[0], (int)geo.Strides[1],
                (int)geo.Pads[0], (int)geo.Pads[1], (int)geo.Pads[2], (int)geo.Pads[3], (int)geo.Dilations[0], (int)geo.Dilations[1], ceil);
        if ((long)shape.Batch * shape.Channels * shape.OutHeight * shape.OutWidth != Count(Shape(y)))
            throw new InvalidOperationException($"pool output disagrees with inferred shape [{string.Join(",", Shape(y))}]");
        bool includePad = n.GetInt("count_include_pad", 0) != 0;
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            if (max) Pool2d.Max(s, shape, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
            else Pool2d.Average(s, shape, X.Buffer, X.Offset, Y.Buffer, Y.Offset, includePad);
        });
    }

    private void LowerGlobalPool(GraphNode n, bool max)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        int planes = xs[0] * xs[1];
        long size = Count(xs) / planes;
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Pool2d.Global(s, max, planes, size, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerSoftmax(GraphNode n, bool log)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        int outer, axisLen, inner;
        if (Graph.Opset < 13)
        {
            // Before opset 13 the input is coerced to 2-D at axis (default 1): softmax over all trailing dims.
            int axis = Axis(n.GetInt("axis", 1), xs.Length, n);
            outer = (int)Count(xs[..axis]);
            axisLen = (int)Count(xs[axis..]);
            inner = 1;
        }
        else (outer, axisLen, inner) = Softmax.View(xs, Axis(n.GetInt("axis", -1), xs.Length, n));
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Softmax.Run(s, outer, axisLen, inner, X.Buffer, X.Offset, Y.Buffer, Y.Offset, log);
        });
    }

    private void LowerReduce(GraphNode n, AxisReduceOp op)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = Shape(x);
        long[]? axes = n.GetInts("axes");
        if (axes is null && n.HasInput(1)) axes = RequireInts(n, 1);
        if ((axes is null || axes.Length == 0) && n.GetInt("noop_with_empty_axes", 0) != 0) { Alias(y, x); return; }
        var ax = (axes ?? []).Select(a => Axis(a, xs.Length, n)).ToArray();
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            ReduceAxes.Run(s, op, xs, ax, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerLayerNorm(GraphNode n)
    {
        string x = n.Input(0), sc = n.Input(1), bi = n.Input(2), y = n.Outputs[0];
        string mo = n.Outputs.Count > 1 ? n.Outputs[1] : "", io = n.Outputs.Count > 2 ? n.Outputs[2] : "";
        if ((mo.Length > 0) != (io.Length > 0)) throw new NotSupportedException("LayerNormalization with only one of Mean/InvStdDev");
        bool stats = mo.Length > 0;
        var xs = Shape(x);
        int axis = Axis(n.GetInt("axis", -1), xs.Length, n);
        int rows = (int)Count(xs[..axis]), cols = (int)Count(xs[axis..]);
        if (Count(Shape(sc)) != cols) throw new NotSupportedException("LayerNormalization scale that is not the full normalised shape");
        if (bi.Length > 0 && Count(Shape(bi)) != cols) throw new NotSupportedException("LayerNormalization bias that is not the full normalised shape");
        var eps = n.GetFloat("epsilon", 1e-5f);
        bool hasBias = bi.Length > 0;
        Emit(n, [x, sc, bi], [y, mo, io], (s, v) =>
        {
            var X = v[x]; var S = v[sc]; var Y = v[y];
            DeviceSlice? B = hasBias ? v[bi] : null;
            (Compute.DeviceBuffer, long, Compute.DeviceBuffer, long)? st = null;
            if (stats) { var M = v[mo]; var I = v[io]; st = (M.Buffer, M.Offset, I.Buffer, I.Offset); }
            Normalization.LayerNorm(s, rows, cols, eps, X.Buffer, X.Offset, S.Buffer, S.Offset, B?.Buffer, B?.Offset ?? 0, Y.Buffer, Y.Offset, st);
        });
    }
}
