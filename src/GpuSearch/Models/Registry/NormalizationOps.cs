// Softmax/LogSoftmax (softmax.cl; before opset 13 over all dims from axis on) and LayerNormalization
// (layernorm.cl; opset 17, or the decomposed form FuseLayerNormPattern rebuilds). InstanceNormalization and
// LRN have shape rules but no kernel yet.
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using static GpuSearch.Models.Graph.ShapeInference;

namespace GpuSearch.Models.Registry;

internal sealed class NormalizationOps : IOpFamily
{
    public IEnumerable<OpDefinition> Ops() =>
    [
        new() { OpType = "Softmax", Shape = ActivationOps.SameShape, Lower = (l, n) => LowerSoftmax(l, n, log: false) },
        new() { OpType = "LogSoftmax", Shape = ActivationOps.SameShape, Lower = (l, n) => LowerSoftmax(l, n, log: true) },
        new() { OpType = "LayerNormalization", Check = (_, n) => AttributeRanges.FiniteNonNegative(n, "epsilon", 1e-5f), Shape = InferLayerNorm, Lower = LowerLayerNorm },
        new() { OpType = "InstanceNormalization", Shape = ActivationOps.SameShape },
        new() { OpType = "LRN", Shape = ActivationOps.SameShape },
    ];

    private static void InferLayerNorm(ModelGraph g, GraphNode n)
    {
        var x = ShapeOf(g, n, 0);
        int axis = Axis(n.GetInt("axis", -1), x.Rank, n);
        SetOut(g, n, 0, In(g, n, 0).DataType, x);
        var stat = new TensorShape(x.Dims.Take(axis).Concat(Enumerable.Repeat(Dim.Known(1), x.Rank - axis)));
        SetOut(g, n, 1, TensorDataType.Float, stat);
        SetOut(g, n, 2, TensorDataType.Float, stat);
    }

    private static void LowerSoftmax(Lowering l, GraphNode n, bool log)
    {
        string x = n.Input(0), y = n.Outputs[0];
        var xs = l.Shape(x);
        int outer, axisLen, inner;
        if (l.Graph.Opset < 13)
        {
            // Before opset 13 the input is coerced to 2-D at axis (default 1): softmax over all trailing dims.
            int axis = Lowering.Axis(n.GetInt("axis", 1), xs.Length, n);
            outer = (int)Lowering.Count(xs[..axis]);
            axisLen = (int)Lowering.Count(xs[axis..]);
            inner = 1;
        }
        else (outer, axisLen, inner) = Softmax.View(xs, Lowering.Axis(n.GetInt("axis", -1), xs.Length, n));
        l.Emit(n, [x], [y], (s, v) =>
        {
            int[] view = [outer, axisLen, inner];
            Softmax.Run(s, 1, v[x].View(view), v[y].View(view), log);
        });
    }

    private static void LowerLayerNorm(Lowering l, GraphNode n)
    {
        string x = n.Input(0), sc = n.Input(1), bi = n.Input(2), y = n.Outputs[0];
        string mo = n.Outputs.Count > 1 ? n.Outputs[1] : "", io = n.Outputs.Count > 2 ? n.Outputs[2] : "";
        if ((mo.Length > 0) != (io.Length > 0)) throw new NotSupportedException("LayerNormalization with only one of Mean/InvStdDev");
        bool stats = mo.Length > 0;
        var xs = l.Shape(x);
        int axis = Lowering.Axis(n.GetInt("axis", -1), xs.Length, n);
        int rows = (int)Lowering.Count(xs[..axis]), cols = (int)Lowering.Count(xs[axis..]);
        if (Lowering.Count(l.Shape(sc)) != cols) throw new NotSupportedException("LayerNormalization scale that is not the full normalised shape");
        if (bi.Length > 0 && Lowering.Count(l.Shape(bi)) != cols) throw new NotSupportedException("LayerNormalization bias that is not the full normalised shape");
        var eps = n.GetFloat("epsilon", 1e-5f);
        bool hasBias = bi.Length > 0;
        l.Emit(n, [x, sc, bi], [y, mo, io], (s, v) =>
        {
            int[] view = [rows, cols];
            DeviceTensor? B = hasBias ? v[bi].View([cols]) : null;
            (DeviceTensor, DeviceTensor)? st = stats ? (v[mo].View([rows]), v[io].View([rows])) : null;
            Normalization.LayerNorm(s, eps, v[x].View(view), v[sc].View([cols]), B, v[y].View(view), st);
        });
    }
}
