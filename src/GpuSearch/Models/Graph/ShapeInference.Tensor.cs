// Shape rules for data-movement ops: Flatten, Reshape (0 copies, -1 infers), Transpose, Squeeze/Unsqueeze
// (axes attribute up to opset 12, input from 13), Concat, Slice (inputs from opset 10), Pad.
namespace GpuSearch.Models.Graph;

public static partial class ShapeInference
{
    private static void AddTensorOps(Dictionary<string, Action<ModelGraph, GraphNode>> d)
    {
        d["Flatten"] = InferFlatten;
        d["Reshape"] = InferReshape;
        d["Transpose"] = InferTranspose;
        d["Squeeze"] = InferSqueeze;
        d["Unsqueeze"] = InferUnsqueeze;
        d["Concat"] = InferConcat;
        d["Slice"] = InferSlice;
        d["Pad"] = InferPad;
    }

    private static void InferFlatten(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        long axisAttr = n.GetInt("axis", 1);
        int axis = (int)(axisAttr < 0 ? axisAttr + x.Rank : axisAttr);
        if (axis < 0 || axis > x.Rank) throw new InvalidDataException($"{n.Describe()}: axis {axisAttr} out of range for rank {x.Rank}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape([Product(x.Dims.Take(axis)), Product(x.Dims.Skip(axis))]));
    }

    private static void InferReshape(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var target = IntsOf(g, n, 1);
        if (target is null) { SetOut(g, n, 0, In(g, n, 0).DataType, null); return; }
        bool allowZero = n.GetInt("allowzero", 0) != 0;
        var dims = new Dim[target.Length];
        int inferAt = -1;
        for (int i = 0; i < target.Length; i++)
        {
            var t = target[i];
            if (t.IsKnown && t.Value == 0 && !allowZero)
            {
                if (i >= x.Rank) throw new InvalidDataException($"{n.Describe()}: shape entry {i} is 0 (copy) but input {x} has rank {x.Rank}");
                dims[i] = x[i];
            }
            else if (!t.IsKnown && t.Symbol == "-1")
            {
                if (inferAt >= 0) throw new InvalidDataException($"{n.Describe()}: more than one -1 in the target shape");
                inferAt = i;
            }
            else if (!t.IsKnown && long.TryParse(t.Symbol, out _))
                throw new InvalidDataException($"{n.Describe()}: invalid target dimension {t.Symbol}");
            else dims[i] = t;
        }
        if (inferAt >= 0)
        {
            // The -1 dim is known when the symbols on both sides cancel (e.g. [N,C,H,W] → [N,-1]).
            var inSyms = x.Dims.Where(v => !v.IsKnown).Select(v => v.Symbol!).OrderBy(s => s, StringComparer.Ordinal).ToList();
            var outSyms = dims.Where((v, i) => i != inferAt && !v.IsKnown).Select(v => v.Symbol!).OrderBy(s => s, StringComparer.Ordinal).ToList();
            long inKnown = x.KnownProduct();
            long outKnown = 1; for (int i = 0; i < dims.Length; i++) if (i != inferAt && dims[i].IsKnown) outKnown *= dims[i].Value;
            if (inSyms.SequenceEqual(outSyms) && outKnown != 0)
            {
                if (inKnown % outKnown != 0) throw new InvalidDataException($"{n.Describe()}: cannot reshape {x} into [{string.Join(",", target)}]");
                dims[inferAt] = Dim.Known(inKnown / outKnown);
            }
            else dims[inferAt] = Dim.Symbolic("?");
        }
        else if (x.IsFullyKnown && dims.All(v => v.IsKnown) && x.KnownProduct() != new TensorShape(dims).KnownProduct())
            throw new InvalidDataException($"{n.Describe()}: cannot reshape {x} into {new TensorShape(dims)}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        if (dims.Length <= 1) SetOutInts(g, n, IntsOf(g, n, 0));
    }

    private static void InferTranspose(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var perm = n.GetInts("perm") ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != x.Rank || perm.Any(p => p < 0 || p >= x.Rank))
            throw new InvalidDataException($"{n.Describe()}: perm [{string.Join(",", perm)}] is not a permutation of rank {x.Rank}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(perm.Select(p => x[(int)p])));
    }

    /// <summary>Axes from the attribute (opset ≤ 12) or the constant second input (opset ≥ 13).</summary>
    private static long[]? AxesOf(ModelGraph g, GraphNode n)
    {
        var axes = n.GetInts("axes") ?? ConstLongs(g, n, 1);
        if (axes is null && n.HasInput(1)) throw new NotSupportedException($"{n.Describe()}: axes input must be constant");
        return axes;
    }

    private static void InferSqueeze(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var axes = AxesOf(g, n);
        HashSet<int> drop = axes is null
            ? Enumerable.Range(0, x.Rank).Where(i => x[i].IsKnown && x[i].Value == 1).ToHashSet()
            : axes.Select(a => Axis(a, x.Rank, n)).ToHashSet();
        foreach (var i in drop)
            if (x[i].IsKnown && x[i].Value != 1) throw new InvalidDataException($"{n.Describe()}: cannot squeeze axis {i} of size {x[i]}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(x.Dims.Where((_, i) => !drop.Contains(i))));
        SetOutInts(g, n, IntsOf(g, n, 0));
    }

    private static void InferUnsqueeze(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        var axes = AxesOf(g, n) ?? throw new InvalidDataException($"{n.Describe()}: axes are required");
        int outRank = x.Rank + axes.Length;
        var set = axes.Select(a => Axis(a, outRank, n)).ToHashSet();
        var dims = new List<Dim>(); int src = 0;
        for (int i = 0; i < outRank; i++) dims.Add(set.Contains(i) ? Dim.Known(1) : x[src++]);
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        SetOutInts(g, n, IntsOf(g, n, 0));
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

    /// <summary>ONNX Slice clamping for one axis: returns the first index and element count.</summary>
    internal static (long start, long count) SliceRange(long start, long end, long step, long size)
    {
        if (start < 0) start += size;
        if (end < 0) end += size;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, size); end = Math.Clamp(end, 0, size);
            return (start, Math.Max(0, (end - start + step - 1) / step));
        }
        start = Math.Clamp(start, -1, size - 1); end = Math.Clamp(end, -1, size - 1);
        return (start, Math.Max(0, (start - end + (-step) - 1) / (-step)));
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
}
