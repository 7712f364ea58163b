// Host evaluation of ops on constants: the fold rules that op definitions (Registry/*Ops.cs) point to. Scalar
// C# loops on purpose: folded tensors are small (shape arithmetic, scalars) or one-off weight transforms,
// and a plain loop is easy to trust. Which op folds with which function is decided by the registry only.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

internal static class ConstantEvaluator
{
    /// <summary>Constant input <paramref name="i"/> (fold rules run only when their inputs are constant).</summary>
    public static ConstTensor Input(ModelGraph g, GraphNode n, int i) =>
        g.ConstantOf(n.Input(i)) ?? throw new InvalidOperationException($"input {i} ('{n.Input(i)}') is not a constant");

    /// <summary>The output's dims when shape inference knows them all, else null (the node is not folded yet).</summary>
    public static long[]? KnownOutDims(ModelGraph g, GraphNode n) =>
        n.Outputs.Count > 0 && g.Value(n.Outputs[0]).Shape is { IsFullyKnown: true } s ? s.ToLongs() : null;

    /// <summary>Shape of a tensor whose dims are all known (or whose recorded shape data is).</summary>
    public static ConstTensor? FoldShape(ModelGraph g, GraphNode n)
    {
        var s = g.Value(n.Inputs[0]).Shape;
        var sym = g.Value(n.Outputs[0]).SymbolicData;
        return sym is not null && sym.All(d => d.IsKnown) ? ConstTensor.Vector(sym.Select(d => d.Value).ToArray())
            : s is { IsFullyKnown: true } ? ConstTensor.Vector(s.ToLongs()) : null;
    }

    public static ConstTensor? FoldCast(ModelGraph g, GraphNode n)
    {
        var a = Input(g, n, 0);
        var to = (TensorDataType)n.GetInt("to", 0);
        if (to.IsFloating()) return ConstTensor.FromFloats(a.Dims, a.ToFloats(), to);
        if (to.IsIntegral()) return ConstTensor.FromLongs(a.Dims, a.ToLongs(), to);
        return null;
    }

    public static ConstTensor? FoldConstantOfShape(ModelGraph g, GraphNode n)
    {
        var dims = Input(g, n, 0).ToLongs();
        var v = n.Attributes.TryGetValue("value", out var va) && va.T is { } vt ? vt : ConstTensor.Scalar(0);
        long count = ConstTensor.ElementCountOf(dims);
        return v.IsFloating ? ConstTensor.FromFloats(dims, Enumerable.Repeat(v.Floats![0], (int)count).ToArray(), v.DataType)
                            : ConstTensor.FromLongs(dims, Enumerable.Repeat(v.Longs![0], (int)count).ToArray(), v.DataType);
    }

    public static ConstTensor? FoldTranspose(ModelGraph g, GraphNode n)
    {
        if (KnownOutDims(g, n) is not { } od) return null;
        var a = Input(g, n, 0);
        var perm = n.GetInts("perm") ?? Enumerable.Range(0, a.Dims.Length).Reverse().Select(i => (long)i).ToArray();
        return Gather(a, od, idx => Permute(idx, perm));
    }

    public static ConstTensor? FoldSlice(ModelGraph g, GraphNode n) =>
        KnownOutDims(g, n) is { } od ? EvalSlice(g, n, Input(g, n, 0), od) : null;

    public static ConstTensor? FoldConcat(ModelGraph g, GraphNode n) =>
        KnownOutDims(g, n) is { } od ? EvalConcat(n, n.Inputs.Select(i => g.ConstantOf(i)!).ToArray(), od) : null;

    /// <summary>Expand of a constant (Swin's attention mask broadcasts a fill value over a window grid).</summary>
    public static ConstTensor? FoldExpand(ModelGraph g, GraphNode n)
    {
        if (KnownOutDims(g, n) is not { } od) return null;
        var a = Input(g, n, 0);
        var map = BroadcastIndex(a.Dims, od);
        long count = ConstTensor.ElementCountOf(od);
        if (a.IsFloating) { var f = new float[count]; for (long i = 0; i < count; i++) f[i] = a.Floats![map(i)]; return ConstTensor.FromFloats(od, f, a.DataType); }
        var l = new long[count]; for (long i = 0; i < count; i++) l[i] = a.Longs![map(i)]; return ConstTensor.FromLongs(od, l, a.DataType);
    }

    public static ConstTensor? FoldGather(ModelGraph g, GraphNode n) =>
        KnownOutDims(g, n) is { } od ? EvalGather(n, Input(g, n, 0), Input(g, n, 1), od) : null;

    /// <summary>Elementwise unary op by ONNX name on a constant.</summary>
    public static ConstTensor Unary(string op, ConstTensor a)
    {
        if (!a.IsFloating)
            return op switch
            {
                "Neg" => ConstTensor.FromLongs(a.Dims, a.Longs!.Select(v => -v).ToArray(), a.DataType),
                "Abs" => ConstTensor.FromLongs(a.Dims, a.Longs!.Select(Math.Abs).ToArray(), a.DataType),
                "Relu" => ConstTensor.FromLongs(a.Dims, a.Longs!.Select(v => Math.Max(v, 0)).ToArray(), a.DataType),
                _ => ConstTensor.FromFloats(a.Dims, Unary(op, ConstTensor.FromFloats(a.Dims, a.ToFloats())).Floats!),
            };
        Func<float, float> f = op switch
        {
            "Sqrt" => MathF.Sqrt, "Neg" => x => -x, "Abs" => MathF.Abs, "Reciprocal" => x => 1 / x, "Exp" => MathF.Exp,
            "Relu" => x => MathF.Max(x, 0), "Sigmoid" => x => 1 / (1 + MathF.Exp(-x)), "Tanh" => MathF.Tanh,
            _ => FusedOps.Erf,
        };
        return ConstTensor.FromFloats(a.Dims, a.Floats!.Select(f).ToArray(), a.DataType);
    }

    /// <summary>Broadcasting binary op by ONNX name on constants, into <paramref name="od"/>.</summary>
    public static ConstTensor Binary(string op, ConstTensor a, ConstTensor b, long[] od)
    {
        long n = ConstTensor.ElementCountOf(od);
        var ai = BroadcastIndex(a.Dims, od); var bi = BroadcastIndex(b.Dims, od);
        if (a.IsFloating || b.IsFloating)
        {
            var r = new float[n];
            for (long i = 0; i < n; i++)
            {
                float x = (float)a.GetDouble(ai(i)), y = (float)b.GetDouble(bi(i));
                r[i] = op switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, "Div" => x / y, "Pow" => MathF.Pow(x, y), "Max" => MathF.Max(x, y), _ => MathF.Min(x, y) };
            }
            return ConstTensor.FromFloats(od, r, a.IsFloating ? a.DataType : b.DataType);
        }
        var l = new long[n];
        for (long i = 0; i < n; i++)
        {
            long x = a.Longs![ai(i)], y = b.Longs![bi(i)];
            l[i] = op switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, "Div" => y == 0 ? 0 : x / y, "Pow" => (long)Math.Pow(x, y), "Max" => Math.Max(x, y), _ => Math.Min(x, y) };
        }
        return ConstTensor.FromLongs(od, l, a.DataType);
    }

    /// <summary>Maps a flat output index to the flat index of a broadcast input.</summary>
    internal static Func<long, long> BroadcastIndex(long[] inDims, long[] outDims)
    {
        int r = outDims.Length, off = r - inDims.Length;
        var inStrides = Strides(inDims);
        var outStrides = Strides(outDims);
        return flat =>
        {
            long idx = 0;
            for (int k = 0; k < r; k++)
            {
                long c = flat / outStrides[k] % outDims[k];
                int ik = k - off;
                if (ik >= 0 && inDims[ik] != 1) idx += c * inStrides[ik];
            }
            return idx;
        };
    }

    private static long[] Strides(long[] dims)
    {
        var s = new long[dims.Length]; long acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { s[i] = acc; acc *= Math.Max(1, dims[i]); }
        return s;
    }

    private static long[] Unflatten(long flat, long[] dims)
    {
        var idx = new long[dims.Length];
        for (int i = dims.Length - 1; i >= 0; i--) { idx[i] = dims[i] == 0 ? 0 : flat % dims[i]; flat = dims[i] == 0 ? 0 : flat / dims[i]; }
        return idx;
    }

    /// <summary>Builds the output by mapping each output multi-index to an input multi-index.</summary>
    private static ConstTensor Gather(ConstTensor a, long[] od, Func<long[], long[]> map)
    {
        long n = ConstTensor.ElementCountOf(od);
        var st = Strides(a.Dims);
        long Src(long i) { var ix = map(Unflatten(i, od)); long f = 0; for (int k = 0; k < ix.Length; k++) f += ix[k] * st[k]; return f; }
        if (a.IsFloating) { var r = new float[n]; for (long i = 0; i < n; i++) r[i] = a.Floats![Src(i)]; return ConstTensor.FromFloats(od, r, a.DataType); }
        var l = new long[n]; for (long i = 0; i < n; i++) l[i] = a.Longs![Src(i)]; return ConstTensor.FromLongs(od, l, a.DataType);
    }

    private static long[] Permute(long[] outIdx, long[] perm)
    {
        var inIdx = new long[perm.Length];
        for (int k = 0; k < perm.Length; k++) inIdx[perm[k]] = outIdx[k];
        return inIdx;
    }

    private static ConstTensor? EvalSlice(ModelGraph g, GraphNode n, ConstTensor a, long[] od)
    {
        long[]? starts, axes, steps;
        if (g.Opset < 10) { starts = n.GetInts("starts"); axes = n.GetInts("axes"); steps = null; }
        else { starts = g.ConstantOf(n.Input(1))?.ToLongs(); axes = g.ConstantOf(n.Input(3))?.ToLongs(); steps = g.ConstantOf(n.Input(4))?.ToLongs(); }
        var ends = g.Opset < 10 ? n.GetInts("ends") : g.ConstantOf(n.Input(2))?.ToLongs();
        if (starts is null || ends is null) return null;
        int r = a.Dims.Length;
        var first = new long[r]; var step = Enumerable.Repeat(1L, r).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            long ax = axes is null ? i : (axes[i] < 0 ? axes[i] + r : axes[i]);
            step[ax] = steps?[i] ?? 1;
            first[ax] = Graph.ShapeInference.SliceRange(starts[i], ends[i], step[ax], a.Dims[ax]).start;
        }
        return Gather(a, od, idx => idx.Select((v, k) => first[k] + v * step[k]).ToArray());
    }

    private static ConstTensor EvalConcat(GraphNode n, ConstTensor[] ins, long[] od)
    {
        int r = od.Length;
        int axis = (int)(n.GetInt("axis", 0) < 0 ? n.GetInt("axis", 0) + r : n.GetInt("axis", 0));
        bool fl = ins.Any(t => t.IsFloating);
        long total = ConstTensor.ElementCountOf(od);
        var f = fl ? new float[total] : null; var l = fl ? null : new long[total];
        for (long i = 0; i < total; i++)
        {
            var idx = Unflatten(i, od);
            int k = 0; long along = idx[axis];
            while (along >= ins[k].Dims[axis]) { along -= ins[k].Dims[axis]; k++; }
            idx[axis] = along;
            var st = Strides(ins[k].Dims); long src = 0;
            for (int d = 0; d < r; d++) src += idx[d] * st[d];
            if (fl) f![i] = (float)ins[k].GetDouble(src); else l![i] = ins[k].Longs![src];
        }
        return fl ? ConstTensor.FromFloats(od, f!, ins.First(t => t.IsFloating).DataType) : ConstTensor.FromLongs(od, l!, ins[0].DataType);
    }

    private static ConstTensor EvalGather(GraphNode n, ConstTensor data, ConstTensor indices, long[] od)
    {
        int r = data.Dims.Length;
        int axis = (int)(n.GetInt("axis", 0) < 0 ? n.GetInt("axis", 0) + r : n.GetInt("axis", 0));
        var ix = indices.ToLongs(); int q = indices.Dims.Length;
        var ist = Strides(indices.Dims);
        return Gather(data, od, o =>
        {
            long flat = 0; for (int k = 0; k < q; k++) flat += o[axis + k] * ist[k];
            long sel = ix[flat] < 0 ? ix[flat] + data.Dims[axis] : ix[flat];
            var src = new long[r];
            for (int k = 0; k < axis; k++) src[k] = o[k];
            src[axis] = sel;
            for (int k = axis + 1; k < r; k++) src[k] = o[k + q - 1];
            return src;
        });
    }
}
