// Shape inference driver: walks the graph in topological order and asks each node's op definition (the
// shape rule in Registry/*Ops.cs) for its output types and shapes. A symbolic batch dim ("N") flows
// through; unknown ops leave their outputs unknown for the validator.
using GpuSearch.Models.Registry;

namespace GpuSearch.Models.Graph;

/// <summary>Infers element types and shapes of every value in a <see cref="ModelGraph"/>.</summary>
internal static class ShapeInference
{
    /// <summary>True when shape inference knows <paramref name="opType"/> (it has a definition in the op registry).</summary>
    public static bool Knows(string opType) => OpRegistry.Find(opType) is not null;

    /// <summary>Sorts the graph and infers every node's outputs. Inferred shapes replace declared ones; where a
    /// node cannot be inferred its outputs keep what the model declared (or stay unknown).</summary>
    /// <exception cref="InvalidDataException">A node's inputs are inconsistent (names the node).</exception>
    public static void Run(ModelGraph g)
    {
        g.TopologicalSort();
        foreach (var name in g.Inputs)
            if (g.Value(name).Shape is { } declared) ShapeLimits.Require(declared, $"graph input '{name}'");
        foreach (var n in g.Nodes) InferNode(g, n);
    }

    /// <summary>Infers one node's outputs from its inputs as they are now (the graph's order is the caller's).</summary>
    /// <exception cref="InvalidDataException">The node's inputs are inconsistent (names the node).</exception>
    public static void InferNode(ModelGraph g, GraphNode n)
    {
        if (OpRegistry.Find(n.OpType) is not { } op) return;
        try { op.Shape(g, n); }
        catch (UnknownInputShapeException)
        {
            // An input's shape is not known yet (e.g. it comes from a Reshape whose target is folded
            // later): leave this node's outputs as they are (unknown or declared); the optimizer re-runs
            // inference after folding.
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{n.Describe()}: shape inference failed: {e.Message}", e);
        }
    }

    // ---- helpers the shape rules of Registry/*Ops.cs share ----

    /// <summary>Input value <paramref name="i"/>; throws naming the node when omitted.</summary>
    internal static GraphValue In(ModelGraph g, GraphNode n, int i) =>
        n.HasInput(i) ? g.Value(n.Inputs[i]) : throw new InvalidDataException($"{n.Describe()}: required input {i} is missing");

    /// <summary>Shape of input <paramref name="i"/>; when unknown the node is skipped (outputs stay unknown).</summary>
    internal static TensorShape ShapeOf(ModelGraph g, GraphNode n, int i)
    {
        var v = In(g, n, i);
        return v.Shape ?? throw new UnknownInputShapeException();
    }

    /// <summary>Signals, inside <see cref="Run"/>, that a node cannot be inferred yet.</summary>
    internal sealed class UnknownInputShapeException : Exception;

    /// <summary>Sets output <paramref name="i"/>'s type and shape (if the output exists).</summary>
    internal static void SetOut(ModelGraph g, GraphNode n, int i, TensorDataType dt, TensorShape? shape)
    {
        if (i >= n.Outputs.Count || n.Outputs[i].Length == 0) return;
        var v = g.GetOrAddValue(n.Outputs[i]);
        if (v.IsConstant) return;
        if (dt != TensorDataType.Undefined) v.DataType = dt;
        // An inferred shape wins; when inference cannot tell, a shape declared in the model (value_info) stays.
        if (shape is null) return;
        ShapeLimits.Require(shape, $"{n.Describe()}: output '{n.Outputs[i]}'");
        v.Shape = shape;
    }

    /// <summary>Integer data of input <paramref name="i"/> when it is a constant or a tracked shape tensor, else null.</summary>
    internal static Dim[]? IntsOf(ModelGraph g, GraphNode n, int i)
    {
        if (!n.HasInput(i)) return null;
        var v = g.Value(n.Inputs[i]);
        // Only small integer constants are shape-like; negative entries (Reshape's -1) become symbols named
        // after the number so Reshape can tell them apart from real dims.
        if (v.Constant is { } c)
            return c.IsFloating || c.ElementCount > MaxShapeTensor ? null
                : c.Longs!.Select(x => x >= 0 ? Dim.Known(x) : Dim.Symbolic(x.ToString())).ToArray();
        return v.SymbolicData;
    }

    /// <summary>Largest integer tensor tracked as shape data.</summary>
    internal const int MaxShapeTensor = 64;

    /// <summary>Records shape data on output 0 (no-op when null).</summary>
    internal static void SetOutInts(ModelGraph g, GraphNode n, Dim[]? data)
    {
        if (data is not null && n.Outputs.Count > 0 && n.Outputs[0].Length > 0 && !g.Value(n.Outputs[0]).IsConstant)
            g.Value(n.Outputs[0]).SymbolicData = data;
    }

    /// <summary>
    /// Integer data of input <paramref name="i"/> when every element is known: a constant, or shape data whose
    /// entries are all known (e.g. a channel count gathered from a Shape with a symbolic batch). Null when the
    /// input is absent. When present but not yet known, the node is skipped for now (see <see cref="Run"/>).
    /// </summary>
    internal static long[]? ConstLongs(ModelGraph g, GraphNode n, int i)
    {
        if (!n.HasInput(i)) return null;
        var v = g.Value(n.Inputs[i]);
        if (v.Constant is { } c) return c.ToLongs();
        if (v.SymbolicData is { } s && s.All(d => d.Number is not null)) return s.Select(d => d.Number!.Value).ToArray();
        throw new UnknownInputShapeException();
    }

    /// <summary>Like <see cref="ConstLongs"/> but null (instead of deferring the node) when not known.</summary>
    internal static long[]? TryConstLongs(ModelGraph g, GraphNode n, int i)
    {
        try { return ConstLongs(g, n, i); }
        catch (UnknownInputShapeException) { return null; }
    }

    /// <summary>Normalises a possibly negative axis against <paramref name="rank"/>.</summary>
    internal static int Axis(long axis, int rank, GraphNode n)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new InvalidDataException($"{n.Describe()}: axis {axis} is out of range for rank {rank}");
        return (int)a;
    }

    /// <summary>Product of dims; symbolic when any factor is symbolic (a <see cref="SymbolicSize"/> when every factor is one).</summary>
    internal static Dim Product(IEnumerable<Dim> dims)
    {
        if (SymbolicSize.ProductOf(dims) is { } m) return m.ToDim();
        long known = 1; var syms = new List<string>();
        foreach (var d in dims) { if (d.IsKnown) known *= d.Value; else syms.Add(d.Symbol!); }
        if (syms.Count == 0) return Dim.Known(known);
        if (known == 1 && syms.Count == 1) return Dim.Symbolic(syms[0]);
        return Dim.Symbolic(string.Join("*", syms) + (known == 1 ? "" : "*" + known));
    }

    /// <summary>The tensor a Constant node defines, from whichever value_* attribute it carries.</summary>
    internal static ConstTensor ConstantValue(GraphNode n)
    {
        foreach (var (name, a) in n.Attributes)
        {
            switch (name)
            {
                case "value" when a.T is not null: return a.T;
                case "value_float": return ConstTensor.Scalar(a.F);
                case "value_floats": return ConstTensor.FromFloats([a.Floats.Length], a.Floats);
                case "value_int": return ConstTensor.FromLongs([], [a.I]);
                case "value_ints": return ConstTensor.Vector(a.Ints);
            }
        }
        throw new NotSupportedException($"{n.Describe()}: Constant has no supported value attribute (value, value_float(s), value_int(s)); found: {string.Join(", ", n.Attributes.Keys)}");
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

    /// <summary>Spatial dims of [N, C, spatial...] (-1 where unknown), for ConvGeometry.</summary>
    internal static long[] Spatial(TensorShape s) => s.Dims.Skip(2).Select(x => x.IsKnown ? x.Value : -1L).ToArray();

    /// <summary>[n, c, spatial...] with unknown (-1) spatial dims symbolic.</summary>
    internal static TensorShape WithSpatial(Dim n, Dim c, long[] spatial) =>
        new(new[] { n, c }.Concat(spatial.Select(v => v >= 0 ? Dim.Known(v) : Dim.Symbolic("?"))));

    /// <summary>Numpy-style multidirectional broadcast of two shapes.</summary>
    internal static TensorShape Broadcast(TensorShape a, TensorShape b, GraphNode n)
    {
        int r = Math.Max(a.Rank, b.Rank);
        var dims = new Dim[r];
        for (int i = 0; i < r; i++)
        {
            int ia = i - (r - a.Rank), ib = i - (r - b.Rank);
            Dim? da = ia >= 0 ? a.Dims[ia] : null, db = ib >= 0 ? b.Dims[ib] : null;
            if (da is null) { dims[i] = db!.Value; continue; }
            if (db is null) { dims[i] = da.Value; continue; }
            Dim x = da.Value, y = db.Value;
            if (x.IsKnown && x.Value == 1) dims[i] = y;
            else if (y.IsKnown && y.Value == 1) dims[i] = x;
            else if (x.IsKnown && y.IsKnown && x.Value != y.Value)
                throw new InvalidDataException($"{n.Describe()}: shapes {a} and {b} cannot be broadcast");
            else dims[i] = x.IsKnown ? x : y;
        }
        return new TensorShape(dims);
    }
}
