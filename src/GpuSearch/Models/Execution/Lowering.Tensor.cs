// Lowering of data-movement ops: Transpose, Concat, Slice, Pad, Expand.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

internal sealed partial class Lowering
{
    private static void AddTensorOps(Dictionary<string, Action<Lowering, GraphNode>> h)
    {
        h["Transpose"] = (l, n) => l.LowerTranspose(n);
        h["Concat"] = (l, n) => l.LowerConcat(n);
        h["Slice"] = (l, n) => l.LowerSlice(n);
        h["Pad"] = (l, n) => l.LowerPad(n);
        h["Expand"] = (l, n) => l.LowerExpand(n);
    }

    private void LowerTranspose(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = Shape(x);
        var perm = n.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, shape.Length).Reverse().ToArray();
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Layout.Transpose(s, shape, perm, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerConcat(GraphNode n)
    {
        var inputs = n.Inputs.Where(i => i.Length > 0 && Count(Shape(i)) > 0).ToArray();
        string y = n.Outputs[0];
        var shapes = inputs.Select(Shape).ToArray();
        int axis = Axis(n.GetInt("axis", 0), Shape(y).Length, n);
        Emit(n, inputs, [y], (s, v) =>
        {
            var Y = v[y];
            var list = inputs.Select((name, i) => { var X = v[name]; return (shapes[i], X.Buffer, X.Offset); }).ToList();
            Layout.Concat(s, axis, list, Y.Buffer, Y.Offset);
        });
    }

    private void LowerSlice(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = Shape(x);
        long[] starts, ends, axes, steps;
        if (Graph.Opset < 10)
        {
            starts = n.GetInts("starts") ?? throw new NotSupportedException("Slice without starts");
            ends = n.GetInts("ends") ?? throw new NotSupportedException("Slice without ends");
            axes = n.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = RequireInts(n, 1);
            ends = RequireInts(n, 2);
            axes = n.HasInput(3) ? RequireInts(n, 3) : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = n.HasInput(4) ? RequireInts(n, 4) : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        int rank = shape.Length;
        var st = new int[rank];
        var sp = Enumerable.Repeat(1, rank).ToArray();
        var cnt = (int[])shape.Clone();
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Axis(axes[i], rank, n);
            long dim = shape[a], step = steps[i];
            if (step == 0) throw new NotSupportedException("Slice step 0");
            long s0 = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e0 = ends[i] < 0 ? ends[i] + dim : ends[i];
            // ONNX clamping: [0, dim] for positive steps, [-1, dim-1] for negative ones.
            if (step > 0) { s0 = Math.Clamp(s0, 0, dim); e0 = Math.Clamp(e0, 0, dim); }
            else { s0 = Math.Clamp(s0, 0, dim - 1); e0 = Math.Clamp(e0, -1, dim - 1); }
            long c = step > 0 ? (e0 - s0 + step - 1) / step : (s0 - e0 + (-step) - 1) / (-step);
            st[a] = (int)s0; sp[a] = (int)step; cnt[a] = (int)Math.Max(0, c);
        }
        if (Count(cnt) == 0) return;
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Layout.Slice(s, shape, st, sp, cnt, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerPad(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = Shape(x);
        int rank = shape.Length;
        var mode = n.GetString("mode", "constant") switch
        {
            "constant" => PadMode.Constant,
            "edge" => PadMode.Edge,
            "reflect" => PadMode.Reflect,
            var m => throw new NotSupportedException($"Pad mode '{m}'"),
        };
        long[] pads;
        float value = 0f;
        if (Graph.Opset < 11)
        {
            pads = n.GetInts("pads") ?? throw new NotSupportedException("Pad without pads");
            value = n.GetFloat("value", 0f);
        }
        else
        {
            pads = RequireInts(n, 1);
            if (n.HasInput(2)) value = (float)(Const(n.Input(2)) ?? throw new NotSupportedException("Pad constant_value must be a constant")).GetDouble(0);
            if (n.HasInput(3))
            {
                // opset 18: pads cover only the listed axes.
                var axes = RequireInts(n, 3).Select(a => Axis(a, rank, n)).ToArray();
                var full = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++) { full[axes[i]] = pads[i]; full[axes[i] + rank] = pads[i + axes.Length]; }
                pads = full;
            }
        }
        if (pads.Length != 2 * rank) throw new NotSupportedException($"Pad has {pads.Length} pads for rank {rank}");
        var begin = pads.Take(rank).Select(p => (int)p).ToArray();
        var end = pads.Skip(rank).Select(p => (int)p).ToArray();
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Pad.Run(s, mode, shape, begin, end, value, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }

    private void LowerExpand(GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        int[] sx = Shape(x), sy = Shape(y);
        Emit(n, [x], [y], (s, v) =>
        {
            var X = v[x]; var Y = v[y];
            Layout.Expand(s, sx, sy, X.Buffer, X.Offset, Y.Buffer, Y.Offset);
        });
    }
}
