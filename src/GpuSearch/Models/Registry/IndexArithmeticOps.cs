// Mod, Range and ScatterND as exports use them: on shape data and on masks built from shapes. Swin's
// padding is `(w - W % w) % w` (Mod on Shape → Gather), and its shifted-window attention mask is
// `zeros(H, W)` with nine `mask[h0:h1, w0:w1] = k` assignments, which torch exports as Range-built index grids
// fed to ScatterND. With the image size fixed every input is a constant once the gathered sizes fold, so
// ConstantFolding evaluates these at load time and no node remains; integer results on a symbolic batch are
// evaluated when planning (their shape rules record the values). On runtime device tensors there is no kernel:
// Check refuses them before any work, naming the input.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class IndexArithmeticOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Mod", Check = CheckMod, Shape = InferMod, Fold = FoldMod, Lower = SupportRules.HostOnly },
        new() { OpType = "Range", Check = SupportRules.ShapeArithmeticOnly, Shape = InferRange, Fold = FoldRange, Lower = SupportRules.HostOnly },
        new() { OpType = "ScatterND", Check = CheckScatterND, Shape = InferScatterND, Fold = FoldScatterND, Lower = SupportRules.HostOnly },
    ];

    // ---- Mod: fmod=0 is the integer remainder with the divisor's sign (Python's %), fmod=1 C's fmod. ----

    private static string? CheckMod(ModelGraph g, GraphNode n)
    {
        long fmod = n.GetInt("fmod", 0);
        if (fmod is not (0 or 1)) return $"attribute fmod={fmod} is not 0 or 1";
        if (fmod == 0 && n.Inputs.Take(2).Any(i => i.Length > 0 && g.Value(i).DataType.IsFloating()))
            return "attribute fmod=0 on floating-point inputs (the ONNX spec requires fmod=1 there)";
        return SupportRules.ShapeArithmeticOnly(g, n);
    }

    /// <summary>The remainder of one pair; division by zero is refused (the spec leaves it undefined).</summary>
    internal static long Mod(long a, long b, bool fmod)
    {
        if (b == 0) throw new ArgumentException("Mod by zero");
        long r = a % b; // C# truncates: the sign of the dividend, as fmod
        return fmod || r == 0 || (r < 0) == (b < 0) ? r : r + b;
    }

    private static void InferMod(ModelGraph g, GraphNode n)
    {
        var a = In(g, n, 0);
        SetOut(g, n, 0, a.DataType, Broadcast(ShapeOf(g, n, 0), ShapeOf(g, n, 1), n));
        if (!a.DataType.IsIntegral() || IntsOf(g, n, 0) is not { } x || IntsOf(g, n, 1) is not { } y) return;
        if (!(x.Length == y.Length || x.Length == 1 || y.Length == 1)) return;
        if (x.Any(v => v.Number is null) || y.Any(v => v.Number is null) || y.Any(v => v.Number == 0)) return;
        bool fmod = n.GetInt("fmod", 0) == 1;
        int len = Math.Max(x.Length, y.Length);
        SetOutInts(g, n, Enumerable.Range(0, len)
            .Select(i => Dim.OfNumber(Mod(x[x.Length == 1 ? 0 : i].Number!.Value, y[y.Length == 1 ? 0 : i].Number!.Value, fmod))).ToArray());
    }

    private static ConstTensor? FoldMod(ModelGraph g, GraphNode n)
    {
        if (ConstantEvaluator.KnownOutDims(g, n) is not { } od) return null;
        ConstTensor a = ConstantEvaluator.Input(g, n, 0), b = ConstantEvaluator.Input(g, n, 1);
        var ai = ConstantEvaluator.BroadcastIndex(a.Dims, od); var bi = ConstantEvaluator.BroadcastIndex(b.Dims, od);
        long count = ConstTensor.ElementCountOf(od);
        if (a.IsFloating || b.IsFloating)
        {
            var f = new float[count];
            for (long i = 0; i < count; i++) f[i] = (float)(a.GetDouble(ai(i)) % b.GetDouble(bi(i))); // fmod=1 (checked): the sign of the dividend
            return ConstTensor.FromFloats(od, f, a.IsFloating ? a.DataType : b.DataType);
        }
        bool fmod = n.GetInt("fmod", 0) == 1;
        var r = new long[count];
        for (long i = 0; i < count; i++) r[i] = Mod(a.Longs![ai(i)], b.Longs![bi(i)], fmod);
        return ConstTensor.FromLongs(od, r, a.DataType);
    }

    // ---- Range(start, limit, delta): max(ceil((limit - start) / delta), 0) elements start + i·delta. ----

    /// <summary>Element count of a Range; delta 0 is refused (the count would be infinite).</summary>
    internal static long RangeLength(double start, double limit, double delta)
    {
        if (delta == 0 || !double.IsFinite(start) || !double.IsFinite(limit) || !double.IsFinite(delta))
            throw new ArgumentException($"Range({start}, {limit}, {delta}) has no finite length");
        double c = Math.Ceiling((limit - start) / delta);
        if (c > ShapeLimits.MaxTensorElements) throw new ArgumentException($"Range({start}, {limit}, {delta}) has {c} elements, over the limit of {ShapeLimits.MaxTensorElements}");
        return Math.Max((long)c, 0);
    }

    private static long IntRangeLength(long start, long limit, long delta)
    {
        if (delta == 0) throw new ArgumentException($"Range({start}, {limit}, 0) has no finite length");
        // Exact in 128-bit integers: a double quotient could round, and limit - start can overflow a long.
        Int128 span = (Int128)limit - start, step = delta;
        Int128 c = delta > 0 ? (span <= 0 ? 0 : (span + step - 1) / step) : (span >= 0 ? 0 : (span + step + 1) / step);
        if (c > ShapeLimits.MaxTensorElements) throw new ArgumentException($"Range({start}, {limit}, {delta}) has {c} elements, over the limit of {ShapeLimits.MaxTensorElements}");
        return (long)c;
    }

    private static void InferRange(ModelGraph g, GraphNode n)
    {
        var dt = In(g, n, 0).DataType;
        for (int i = 0; i < 3; i++)
            if (ShapeOf(g, n, i).Rank > 1 || ShapeOf(g, n, i).ElementCount is > 1)
                throw new InvalidDataException($"{n.Describe()}: input {i} must be a scalar (shape {ShapeOf(g, n, i)})");
        long? length = null;
        if (dt.IsIntegral() && TryConstLongs(g, n, 0) is [var s] && TryConstLongs(g, n, 1) is [var l] && TryConstLongs(g, n, 2) is [var d])
        {
            length = IntRangeLength(s, l, d);
            SetOut(g, n, 0, dt, TensorShape.Of(length.Value));
            if (length <= MaxShapeTensor) SetOutInts(g, n, Enumerable.Range(0, (int)length).Select(k => Dim.OfNumber(s + k * d)).ToArray());
            return;
        }
        if (dt.IsFloating() && Enumerable.Range(0, 3).Select(i => g.ConstantOf(n.Input(i))).ToArray() is [{ } fs, { } fl, { } fd])
            length = RangeLength(fs.GetDouble(0), fl.GetDouble(0), fd.GetDouble(0));
        SetOut(g, n, 0, dt, new TensorShape([length is { } k ? Dim.Known(k) : Dim.Symbolic("?")]));
    }

    private static ConstTensor? FoldRange(ModelGraph g, GraphNode n)
    {
        ConstTensor s = ConstantEvaluator.Input(g, n, 0), l = ConstantEvaluator.Input(g, n, 1), d = ConstantEvaluator.Input(g, n, 2);
        if (s.IsFloating || l.IsFloating || d.IsFloating)
        {
            // Computed in float as the spec's loop does (start + i·delta in the tensor's type).
            float fs = (float)s.GetDouble(0), fd = (float)d.GetDouble(0);
            long len = RangeLength(fs, (float)l.GetDouble(0), fd);
            var f = new float[len];
            for (long i = 0; i < len; i++) f[i] = fs + i * fd;
            return ConstTensor.FromFloats([len], f, s.DataType);
        }
        long start = s.GetLong(0), delta = d.GetLong(0);
        long count = IntRangeLength(start, l.GetLong(0), delta);
        var r = new long[count];
        for (long i = 0; i < count; i++) r[i] = start + i * delta;
        return ConstTensor.FromLongs([count], r, s.DataType);
    }

    // ---- ScatterND(data, indices, updates): a copy of data with the slices indices[..] replaced by updates. ----

    private static string? CheckScatterND(ModelGraph g, GraphNode n)
    {
        var reduction = n.GetString("reduction", "none");
        if (reduction is not ("none" or "add" or "mul" or "max" or "min"))
            return $"attribute reduction='{reduction}' is not supported (none, add, mul, max, min)";
        return SupportRules.ShapeArithmeticOnly(g, n);
    }

    private static void InferScatterND(ModelGraph g, GraphNode n)
    {
        var data = ShapeOf(g, n, 0); var idx = ShapeOf(g, n, 1); var upd = ShapeOf(g, n, 2);
        if (idx.Rank < 1) throw new InvalidDataException($"{n.Describe()}: indices must have rank ≥ 1 (shape {idx})");
        var k = idx[-1];
        if (k.IsKnown && k.Value > data.Rank) throw new InvalidDataException($"{n.Describe()}: index tuples of length {k.Value} for data of rank {data.Rank}");
        if (k.IsKnown && upd.Rank != idx.Rank - 1 + data.Rank - (int)k.Value)
            throw new InvalidDataException($"{n.Describe()}: updates {upd} do not match indices {idx} and data {data}");
        SetOut(g, n, 0, In(g, n, 0).DataType, data);
    }

    private static ConstTensor? FoldScatterND(ModelGraph g, GraphNode n)
    {
        ConstTensor data = ConstantEvaluator.Input(g, n, 0), indices = ConstantEvaluator.Input(g, n, 1), updates = ConstantEvaluator.Input(g, n, 2);
        int r = data.Dims.Length, q = indices.Dims.Length, k = (int)indices.Dims[^1];
        long tuples = ConstTensor.ElementCountOf(indices.Dims[..^1]);
        long slice = ConstTensor.ElementCountOf(data.Dims[k..]);
        if (updates.ElementCount != tuples * slice || updates.Dims.Length != q - 1 + r - k)
            throw new ArgumentException($"updates {updates} do not match indices {indices} and data {data}");
        var strides = new long[r];
        for (int i = r - 1, acc = 1; i >= 0; i--) { strides[i] = acc; acc = checked(acc * (int)data.Dims[i]); }
        var reduction = n.GetString("reduction", "none");
        var ix = indices.ToLongs();
        bool floating = data.IsFloating;
        var f = floating ? (float[])data.Floats!.Clone() : null;
        var l = floating ? null : (long[])data.Longs!.Clone();
        for (long t = 0; t < tuples; t++)
        {
            long at = 0;
            for (int j = 0; j < k; j++)
            {
                long v = ix[t * k + j], dim = data.Dims[j];
                if (v < -dim || v >= dim) throw new ArgumentException($"index {v} is outside axis {j} of size {dim}");
                at += (v < 0 ? v + dim : v) * strides[j];
            }
            for (long e = 0; e < slice; e++)
            {
                long src = t * slice + e, dst = at + e;
                if (floating) f![dst] = (float)Combine(reduction, f[dst], updates.GetDouble(src));
                else l![dst] = Combine(reduction, l[dst], updates.GetLong(src));
            }
        }
        return floating ? ConstTensor.FromFloats(data.Dims, f!, data.DataType) : ConstTensor.FromLongs(data.Dims, l!, data.DataType);
    }

    private static double Combine(string reduction, double old, double update) => reduction switch
    {
        "add" => old + update, "mul" => old * update, "max" => Math.Max(old, update), "min" => Math.Min(old, update), _ => update,
    };

    private static long Combine(string reduction, long old, long update) => reduction switch
    {
        "add" => old + update, "mul" => old * update, "max" => Math.Max(old, update), "min" => Math.Min(old, update), _ => update,
    };
}
