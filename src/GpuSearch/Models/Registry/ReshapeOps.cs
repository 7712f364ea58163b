// Ops that move no data: Identity, Dropout (inference), Reshape, Flatten, Squeeze, Unsqueeze. The executor
// aliases the output to the input's memory; on constants they fold to a reshaped copy.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Optimizer;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class ReshapeOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Identity", Shape = ActivationOps.SameShape, Fold = Pass, Lower = AliasInput },
        new()
        {
            OpType = "Dropout", Fold = Pass, Lower = AliasInput,
            Shape = (g, n) =>
            {
                var x = In(g, n, 0);
                SetOut(g, n, 0, x.DataType, x.Shape);
                SetOut(g, n, 1, TensorDataType.Bool, x.Shape); // optional mask output
            },
        },
        new() { OpType = "Reshape", Check = (g, n) => SupportRules.KnownWhenPlanning(g, n, 1, "the target shape"), Shape = InferReshape, Fold = FoldReshape, Lower = AliasInput },
        new() { OpType = "Flatten", Shape = InferFlatten, Fold = FoldReshape, Lower = AliasInput },
        new() { OpType = "Squeeze", Check = CheckAxes, Shape = InferSqueeze, Fold = FoldReshape, Lower = AliasInput },
        new() { OpType = "Unsqueeze", Check = CheckAxes, Shape = InferUnsqueeze, Fold = FoldReshape, Lower = AliasInput },
    ];

    private static ConstTensor? Pass(ModelGraph g, GraphNode n) => ConstantEvaluator.Input(g, n, 0);

    private static ConstTensor? FoldReshape(ModelGraph g, GraphNode n) =>
        ConstantEvaluator.KnownOutDims(g, n) is { } od ? ConstantEvaluator.Input(g, n, 0).Reshaped(od) : null;

    private static void AliasInput(Lowering l, GraphNode n) => l.Alias(n.Outputs[0], n.Input(0));

    private static string? CheckAxes(ModelGraph g, GraphNode n) => SupportRules.KnownWhenPlanning(g, n, 1, "axes");

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
            // [N·64, 3, 49, 49] → [-1, 3, 49, 49] is N·64 again: divide the symbolic products.
            else if (SymbolicSize.ProductOf(x.Dims) is { } whole && SymbolicSize.ProductOf(dims.Where((_, i) => i != inferAt)) is { } rest
                     && rest.Coefficient != 0 && whole.DividedBy(rest) is { } inferred)
                dims[inferAt] = inferred.ToDim();
            else dims[inferAt] = Dim.Symbolic("?");
        }
        else if (x.IsFullyKnown && dims.All(v => v.IsKnown) && x.KnownProduct() != new TensorShape(dims).KnownProduct())
            throw new InvalidDataException($"{n.Describe()}: cannot reshape {x} into {new TensorShape(dims)}");
        SetOut(g, n, 0, In(g, n, 0).DataType, new TensorShape(dims));
        if (dims.Length <= 1) SetOutInts(g, n, IntsOf(g, n, 0));
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
}
