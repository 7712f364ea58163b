// Data-movement ops that copy: Transpose, Concat, Slice (inputs from opset 10, any step), Pad (constant,
// reflect, edge) and Expand, all through layout.cl's strided copy kernels. Transpose/Concat/Slice/Expand fold.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class LayoutOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Transpose", Shape = InferTranspose, Fold = ConstantEvaluator.FoldTranspose, Lower = LowerTranspose },
        new() { OpType = "Concat", Shape = InferConcat, Fold = ConstantEvaluator.FoldConcat, Lower = LowerConcat },
        new() { OpType = "Slice", Check = CheckSlice, Shape = InferSlice, Fold = ConstantEvaluator.FoldSlice, Lower = LowerSlice },
        new() { OpType = "Pad", Check = CheckPad, Shape = InferPad, Lower = LowerPad },
        new() { OpType = "Expand", Check = (g, n) => SupportRules.KnownWhenPlanning(g, n, 1, "the target shape"), Shape = InferExpand, Fold = ConstantEvaluator.FoldExpand, Lower = LowerExpand },
    ];

    private static string? CheckSlice(ModelGraph g, GraphNode n)
    {
        for (int i = 1; i <= 4 && g.Opset >= 10; i++)
            if (SupportRules.KnownWhenPlanning(g, n, i, i switch { 1 => "starts", 2 => "ends", 3 => "axes", _ => "steps" }) is { } r) return r;
        return null;
    }

    private static string? CheckPad(ModelGraph g, GraphNode n)
    {
        var mode = n.GetString("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge")) return $"attribute mode='{mode}' is not supported (constant, reflect, edge)";
        if (g.Opset < 11) return null;
        if (n.HasInput(2) && !SupportRules.IsConstantExpression(g, n.Inputs[2])) return $"input 2 ('{n.Inputs[2]}', constant_value) is not a constant";
        return SupportRules.KnownWhenPlanning(g, n, 1, "pads") ?? SupportRules.KnownWhenPlanning(g, n, 3, "axes");
    }

    private static void InferExpand(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        // Expand broadcasts both ways (numpy): a target dim of 1 keeps the input's dim.
        var target = IntsOf(g, n, 1);
        SetOut(g, n, 0, In(g, n, 0).DataType, target is null ? null : ShapeInference.Broadcast(x, new TensorShape(target), n));
    }

    private static void InferTranspose(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var perm = n.GetInts("perm") ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != x.Rank || perm.Any(p => p < 0 || p >= x.Rank))
            throw new InvalidDataException($"{n.Describe()}: perm [{string.Join(",", perm)}] is not a permutation of rank {x.Rank}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(perm.Select(p => x[(int)p])));
    }

    private static void InferConcat(ModelGraph g, GraphNode n)
    {
        var first = ShapeOf(g, n, 0);
        int axis = Axis(n.GetInt("axis", 0), first.Rank, n);
        var parts = new List<Dim>();
        var dims = first.Dims.ToArray();
        for (int i = 0; i < n.Inputs.Count; i++)
        {
            var s = ShapeOf(g, n, i);
            if (s.Rank != first.Rank) throw new InvalidDataException($"{n.Describe()}: input {i} has rank {s.Rank}, expected {first.Rank}");
            for (int k = 0; k < s.Rank; k++)
                if (k != axis && s[k].IsKnown && dims[k].IsKnown && s[k].Value != dims[k].Value)
                    throw new InvalidDataException($"{n.Describe()}: input {i} shape {s} does not match {first} outside axis {axis}");
            parts.Add(s[axis]);
        }
        dims[axis] = parts.All(p => p.IsKnown) ? Dim.Known(parts.Sum(p => p.Value)) : Dim.Symbolic("?");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        // Concat of shape pieces (torch's [N] ++ [-1]) keeps its symbolic values.
        if (first.Rank == 1 && n.Outputs.Count > 0)
        {
            var pieces = Enumerable.Range(0, n.Inputs.Count).Select(i => IntsOf(g, n, i)).ToList();
            if (pieces.All(p => p is not null)) g.Value(n.Outputs[0]).SymbolicData = pieces.SelectMany(p => p!).ToArray();
        }
    }

    private static void InferSlice(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        long[]? starts, ends, axes, steps;
        if (g.Opset < 10) { starts = n.GetInts("starts"); ends = n.GetInts("ends"); axes = n.GetInts("axes"); steps = null; }
        else { starts = ConstLongs(g, n, 1); ends = ConstLongs(g, n, 2); axes = ConstLongs(g, n, 3); steps = ConstLongs(g, n, 4); }
        if (starts is null || ends is null) throw new NotSupportedException($"{n.Describe()}: starts and ends must be constant");
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        var dims = x.Dims.ToArray();
        var ranges = new (int axis, long start, long step, long count)[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Axis(axes[i], x.Rank, n);
            if (steps[i] == 0) throw new InvalidDataException($"{n.Describe()}: slice step 0");
            if (!x[a].IsKnown) { dims[a] = Dim.Symbolic("?"); ranges[i] = (a, 0, 1, -1); continue; }
            long size = x[a].Value;
            var (start, count) = SliceRange(starts[i], ends[i], steps[i], size);
            dims[a] = Dim.Known(count);
            ranges[i] = (a, start, steps[i], count);
        }
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        if (x.Rank == 1 && IntsOf(g, n, 0) is { } s && ranges.Length == 1 && ranges[0].count >= 0 && n.Outputs.Count > 0)
            g.Value(n.Outputs[0]).SymbolicData = Enumerable.Range(0, (int)ranges[0].count).Select(k => s[ranges[0].start + k * ranges[0].step]).ToArray();
    }

    private static void InferPad(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var pads = g.Opset < 11 ? n.GetInts("pads") : ConstLongs(g, n, 1);
        if (pads is null) throw new NotSupportedException($"{n.Describe()}: pads must be constant");
        var axes = g.Opset >= 18 ? ConstLongs(g, n, 3) : null;
        var ax = (axes ?? Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray()).Select(a => Axis(a, x.Rank, n)).ToArray();
        if (pads.Length != 2 * ax.Length) throw new InvalidDataException($"{n.Describe()}: {pads.Length} pads for {ax.Length} axes");
        var dims = x.Dims.ToArray();
        for (int i = 0; i < ax.Length; i++)
            if (dims[ax[i]].IsKnown) dims[ax[i]] = Dim.Known(checked(dims[ax[i]].Value + pads[i] + pads[i + ax.Length]));
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
    }

    private static void LowerTranspose(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = l.Shape(x);
        var perm = n.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, shape.Length).Reverse().ToArray();
        l.Emit(n, [x], [y], (s, v) =>
        {
            Layout.Transpose(s, perm, v[x].View(shape), v[y].View(perm.Select(p => shape[p]).ToArray()));
        });
    }

    private static void LowerConcat(Lowering l, GraphNode n)
    {
        var inputs = n.Inputs.Where(i => i.Length > 0 && Lowering.Count(l.Shape(i)) > 0).ToArray();
        string y = n.Outputs[0];
        var shapes = inputs.Select(l.Shape).ToArray();
        var ys = l.Shape(y);
        int axis = Lowering.Axis(n.GetInt("axis", 0), l.Shape(y).Length, n);
        l.Emit(n, inputs, [y], (s, v) =>
        {
            Layout.Concat(s, axis, inputs.Select((name, i) => v[name].View(shapes[i])).ToList(), v[y].View(ys));
        });
    }

    private static void LowerSlice(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = l.Shape(x);
        long[] starts, ends, axes, steps;
        if (l.Graph.Opset < 10)
        {
            starts = n.GetInts("starts") ?? throw new NotSupportedException("Slice without starts");
            ends = n.GetInts("ends") ?? throw new NotSupportedException("Slice without ends");
            axes = n.GetInts("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = l.RequireInts(n, 1);
            ends = l.RequireInts(n, 2);
            axes = n.HasInput(3) ? l.RequireInts(n, 3) : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = n.HasInput(4) ? l.RequireInts(n, 4) : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        int rank = shape.Length;
        var st = new int[rank];
        var sp = Enumerable.Repeat(1, rank).ToArray();
        var cnt = (int[])shape.Clone();
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Lowering.Axis(axes[i], rank, n);
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
        if (Lowering.Count(cnt) == 0) return;
        l.Emit(n, [x], [y], (s, v) =>
        {
            Layout.Slice(s, st, sp, v[x].View(shape), v[y].View(cnt));
        });
    }

    private static void LowerPad(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = l.Shape(x);
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
        if (l.Graph.Opset < 11)
        {
            pads = n.GetInts("pads") ?? throw new NotSupportedException("Pad without pads");
            value = n.GetFloat("value", 0f);
        }
        else
        {
            pads = l.RequireInts(n, 1);
            if (n.HasInput(2)) value = (float)(l.Const(n.Input(2)) ?? throw new NotSupportedException("Pad constant_value must be a constant")).GetDouble(0);
            if (n.HasInput(3))
            {
                // opset 18: pads cover only the listed axes.
                var axes = l.RequireInts(n, 3).Select(a => Lowering.Axis(a, rank, n)).ToArray();
                var full = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++) { full[axes[i]] = pads[i]; full[axes[i] + rank] = pads[i + axes.Length]; }
                pads = full;
            }
        }
        if (pads.Length != 2 * rank) throw new NotSupportedException($"Pad has {pads.Length} pads for rank {rank}");
        var begin = pads.Take(rank).Select(p => (int)p).ToArray();
        var end = pads.Skip(rank).Select(p => (int)p).ToArray();
        l.Emit(n, [x], [y], (s, v) =>
        {
            Pad.Run(s, mode, begin, end, value, v[x].View(shape), v[y].View(shape.Select((d, i) => d + begin[i] + end[i]).ToArray()));
        });
    }

    private static void LowerExpand(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        int[] sx = l.Shape(x), sy = l.Shape(y);
        l.Emit(n, [x], [y], (s, v) =>
        {
            Layout.Expand(s, v[x].View(sx), v[y].View(sy));
        });
    }
}
