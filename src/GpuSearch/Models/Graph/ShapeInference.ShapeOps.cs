// Shape rules for ops that compute on shapes: Constant (materialised immediately, it is data), Shape
// (records the input's dims symbolically, so a symbolic batch survives), Gather, ConstantOfShape.
namespace GpuSearch.Models.Graph;

public static partial class ShapeInference
{
    private static void AddShapeOps(Dictionary<string, Action<ModelGraph, GraphNode>> d)
    {
        d["Constant"] = InferConstant;
        d["Shape"] = InferShape;
        d["Gather"] = InferGather;
        d["ConstantOfShape"] = (g, n) =>
        {
            var dims = IntsOf(g, n, 0);
            var value = n.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t.DataType : TensorDataType.Float;
            SetOut(g, n, 0, value, dims is null ? null : new TensorShape(dims.Select(x => x.IsKnown ? x : Dim.Symbolic("?"))));
        };
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

    private static void InferConstant(ModelGraph g, GraphNode n)
    {
        if (n.Outputs.Count == 0) return;
        g.GetOrAddValue(n.Outputs[0]).SetConstant(ConstantValue(n));
    }

    private static void InferShape(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        // Opset 15 added start/end attributes selecting a sub-range of dims.
        long start = n.GetInt("start", 0), end = n.GetInt("end", x.Rank);
        if (start < 0) start += x.Rank;
        if (end < 0) end += x.Rank;
        start = Math.Clamp(start, 0, x.Rank); end = Math.Clamp(end, start, x.Rank);
        var dims = x.Dims.Skip((int)start).Take((int)(end - start)).ToArray();
        SetOut(g, n, 0, TensorDataType.Int64, TensorShape.Of(dims.Length));
        SetOutInts(g, n, dims);
    }

    private static void InferGather(ModelGraph g, GraphNode n)
    {
        var data = ShapeOf(g, n, 0); var idx = ShapeOf(g, n, 1);
        int axis = Axis(n.GetInt("axis", 0), data.Rank, n);
        var dims = data.Dims.Take(axis).Concat(idx.Dims).Concat(data.Dims.Skip(axis + 1));
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        // Gather from a shape tensor with constant indices: torch's "x.size(0)" is Shape → Gather(0).
        if (data.Rank == 1 && IntsOf(g, n, 0) is { } s && TryConstLongs(g, n, 1) is { } ix && n.Outputs.Count > 0)
        {
            var picked = new Dim[ix.Length];
            for (int i = 0; i < ix.Length; i++)
            {
                long k = ix[i] < 0 ? ix[i] + s.Length : ix[i];
                if (k < 0 || k >= s.Length) throw new InvalidDataException($"{n.Describe()}: index {ix[i]} out of range for {s.Length}");
                picked[i] = s[k];
            }
            SetOutInts(g, n, picked);
        }
    }
}
