// Ops that compute on constants and shapes: Constant, Shape, Gather, Cast, ConstantOfShape. On integer
// shape tensors they are evaluated on the host (folded at load time, or when planning once the batch is
// bound); on float device data only Cast (to float types) and Gather with one constant index (a slice) run.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ShapeOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new()
        {
            OpType = "Constant", Check = CheckConstant, Shape = InferConstant, FoldWhen = FoldWhen.Always,
            Fold = (_, n) => ConstantValue(n),
            Lower = (l, n) => { if (l.Const(n.Outputs[0]) is null) throw new NotSupportedException("Constant without a value"); },
        },
        new() { OpType = "Shape", Shape = InferShape, FoldWhen = FoldWhen.Always, Fold = ConstantEvaluator.FoldShape, Lower = HostOnly },
        new() { OpType = "Gather", Check = CheckGather, Shape = InferGather, Fold = ConstantEvaluator.FoldGather, Lower = LowerGather },
        new() { OpType = "Cast", Check = CheckCast, Shape = InferCast, Fold = ConstantEvaluator.FoldCast, Lower = LowerCast },
        new()
        {
            OpType = "ConstantOfShape", Fold = ConstantEvaluator.FoldConstantOfShape,
            Check = (g, n) => SupportRules.KnownWhenPlanning(g, n, 0, "the shape"), Shape = InferConstantOfShape, Lower = LowerConstantOfShape,
        },
    ];

    private static string? CheckConstant(ModelGraph g, GraphNode n)
    {
        try { ConstantValue(n); return null; }
        catch (NotSupportedException) { return $"no supported value attribute (found: {string.Join(", ", n.Attributes.Keys)})"; }
    }

    private static string? CheckCast(ModelGraph g, GraphNode n)
    {
        var to = (TensorDataType)n.GetInt("to", 0);
        return to.IsFloating() || to.IsIntegral() ? null : $"attribute to={to} is not a supported dtype";
    }

    // Gather runs on the host when data and indices are shape arithmetic or constants (torch's x.size(0)), and on
    // the device when the indices are one constant index (ViT's x[:, 0]): a slice of length 1. Anything else
    // (an embedding lookup with runtime indices) is refused here, before any work, not when planning.
    private static string? CheckGather(ModelGraph g, GraphNode n)
    {
        if (SupportRules.IsComputedFrom(g, n.Input(0), shapeIsLeaf: true) && SupportRules.IsComputedFrom(g, n.Input(1), shapeIsLeaf: true)) return null;
        if (SupportRules.ConstantOf(g, n.Input(1)) is { ElementCount: 1 }) return null;
        return $"data '{n.Input(0)}' is a runtime tensor and indices '{n.Input(1)}' are not one constant index " +
               "(supported: shape arithmetic, constants, or a single constant index)";
    }

    private static void InferCast(ModelGraph g, GraphNode n)
    {
        var x = In(g, n, 0);
        var to = (TensorDataType)n.GetInt("to", 0);
        SetOut(g, n, 0, to, x.Shape);
        // Shape tensors are often cast int64→int64 or to float and back; keep the symbolic values for integers.
        if (to.IsIntegral()) SetOutInts(g, n, IntsOf(g, n, 0));
    }

    private static void HostOnly(Lowering l, GraphNode n) =>
        throw new NotSupportedException($"output '{n.Outputs[0]}' is not known when planning (only shape arithmetic is supported)");

    private static void LowerGather(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var shape = l.Shape(x);
        var index = l.Const(n.Input(1))?.ToLongs() ?? l.Ints(n.Input(1));
        if (index is not { Length: 1 }) throw new NotSupportedException("Gather of device data needs one constant index");
        int axis = Lowering.Axis(n.GetInt("axis", 0), shape.Length, n);
        long k = index[0] < 0 ? index[0] + shape[axis] : index[0];
        if (k < 0 || k >= shape[axis]) throw new ArgumentException($"Gather index {index[0]} is outside axis {axis} of size {shape[axis]}");
        // The output ([..., 1?, ...] or the axis dropped) has the same element order as a length-1 slice.
        var start = new int[shape.Length];
        start[axis] = (int)k;
        var count = (int[])shape.Clone();
        count[axis] = 1;
        var step = Enumerable.Repeat(1, shape.Length).ToArray();
        if (Lowering.Count(count) == 0) return;
        l.Emit(n, [x], [y], (s, v) =>
        {
            Layout.Slice(s, start, step, v[x].View(shape), v[y].View(count));
        });
    }

    private static ConstTensor FillValue(GraphNode n) =>
        n.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t : ConstTensor.FromFloats([1], [0f]);

    private static void InferConstantOfShape(ModelGraph g, GraphNode n)
    {
        var dims = IntsOf(g, n, 0);
        var value = FillValue(n);
        var shape = dims is null ? null : new TensorShape(dims.Select(x => x.IsKnown ? x : Dim.Symbolic("?")));
        SetOut(g, n, 0, value.DataType, shape);
        // Small integer fills (torch's expand turns [N,-1,-1] into ones of that length) stay shape data.
        if (shape is { ElementCount: <= MaxShapeTensor and var c } && !value.IsFloating)
            SetOutInts(g, n, Enumerable.Repeat(Dim.OfNumber(value.Longs![0]), (int)c).ToArray());
    }

    // Known when planning: integer fills become host data, float fills a plan-time constant (no kernel).
    private static void LowerConstantOfShape(Lowering l, GraphNode n)
    {
        var dims = l.RequireInts(n, 0);
        var value = FillValue(n);
        long count = ConstTensor.ElementCountOf(dims);
        if (count > int.MaxValue) throw new NotSupportedException($"ConstantOfShape of {count} elements");
        if (value.IsFloating) l.PlanConstants[n.Outputs[0]] = ConstTensor.FromFloats(dims, Enumerable.Repeat(value.Floats![0], (int)count).ToArray(), value.DataType);
        else l.HostInts[n.Outputs[0]] = Enumerable.Repeat(value.Longs![0], (int)count).ToArray();
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

    private static void LowerCast(Lowering l, GraphNode n)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var to = l.Graph.Value(y).DataType;
        if (!to.IsFloating()) throw new NotSupportedException($"Cast to {to} of device data (only float targets)");
        if (l.Graph.Value(x).DataType.IsFloating())
        {
            // Narrowing to fp16 changes values even though the executor keeps fp32 storage.
            if (to == TensorDataType.Float16 && l.Graph.Value(x).DataType != TensorDataType.Float16) ActivationOps.LowerUnary(l, n, Activation.Of(ActivationKind.RoundToHalf));
            else l.Alias(y, x);
            return;
        }
        var ints = l.Ints(x) ?? throw new NotSupportedException("Cast of integer data that is not known when planning");
        l.PlanConstants[y] = ConstTensor.FromFloats(l.Shape(y).Select(d => (long)d).ToArray(), ints.Select(i => (float)i).ToArray());
    }
}
