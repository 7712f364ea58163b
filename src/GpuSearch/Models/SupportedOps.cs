// THE list of ops the engine accepts, with per-op checks of attributes and inputs. Keep it in this one
// place: the validator reads it, model-info reports from it, and the executor author extends it when a
// kernel lands. A check returns null when the node is fine, or the reason it is not.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

/// <summary>Which ONNX ops (default domain) and engine ops the engine accepts, and their constraints.</summary>
public static class SupportedOps
{
    /// <summary>Per-op check: null when supported, else a reason naming the attribute/input/dtype.</summary>
    public delegate string? Check(ModelGraph graph, GraphNode node);

    private static readonly Check None = (_, _) => null;

    /// <summary>Supported op types mapped to their check. Ops absent here are rejected.</summary>
    public static readonly IReadOnlyDictionary<string, Check> Ops = new Dictionary<string, Check>(StringComparer.Ordinal)
    {
        ["Conv"] = CheckConv,
        [FusedOps.FusedConv] = CheckConv,
        ["BatchNormalization"] = CheckBatchNorm,
        ["Relu"] = None, ["LeakyRelu"] = None, ["Sigmoid"] = None, ["HardSigmoid"] = None, ["HardSwish"] = None,
        ["Tanh"] = None, ["Erf"] = None, ["Gelu"] = CheckGelu, ["Sqrt"] = None, ["Pow"] = None,
        ["Clip"] = None,
        ["Add"] = None, ["Sub"] = None, ["Mul"] = None, ["Div"] = None,
        ["MaxPool"] = CheckPool, ["AveragePool"] = CheckPool,
        ["GlobalAveragePool"] = None, ["GlobalMaxPool"] = None,
        ["Gemm"] = CheckGemm, [FusedOps.FusedGemm] = CheckGemm, ["MatMul"] = None,
        ["Flatten"] = None, ["Reshape"] = None, ["Transpose"] = None, ["Squeeze"] = None, ["Unsqueeze"] = None,
        ["Concat"] = None, ["Slice"] = None, ["Pad"] = CheckPad,
        ["Softmax"] = None, ["ReduceMean"] = None, ["ReduceL2"] = None, ["LayerNormalization"] = CheckLayerNorm,
        ["Constant"] = CheckConstant, ["Identity"] = None, ["Dropout"] = None, ["Cast"] = CheckCast,
        ["Shape"] = None, ["Gather"] = None, ["Resize"] = ResizeSupport.Check,
    };

    /// <summary>True when <paramref name="opType"/> is in the supported list.</summary>
    public static bool IsSupported(string opType) => Ops.ContainsKey(opType);

    /// <summary>Element types accepted for graph inputs.</summary>
    public static readonly IReadOnlyList<TensorDataType> InputTypes = [TensorDataType.Float, TensorDataType.Float16];

    private static string? CheckConv(ModelGraph g, GraphNode n)
    {
        if (!IsConstantExpression(g, n.Input(1))) return $"weight input '{n.Input(1)}' is not a constant (only constant weights are supported)";
        if (n.HasInput(2) && !IsConstantExpression(g, n.Input(2))) return $"bias input '{n.Input(2)}' is not a constant";
        return AttributeRanges.First(AttributeRanges.Window(n), AttributeRanges.AtLeast(n, "group", 1), CheckAutoPad(n));
    }

    private static string? CheckAutoPad(GraphNode n)
    {
        var ap = n.GetString("auto_pad", "NOTSET");
        return ConvGeometry.AutoPadValues.Contains(ap) ? null : $"attribute auto_pad='{ap}' is not supported (supported: {string.Join(", ", ConvGeometry.AutoPadValues)})";
    }

    private static string? CheckPool(ModelGraph g, GraphNode n)
    {
        if (n.GetInts("kernel_shape") is null) return "attribute kernel_shape is missing";
        if (n.OpType == "MaxPool" && n.Outputs.Count > 1 && n.Outputs[1].Length > 0) return "the Indices output is not supported";
        if (n.GetInt("storage_order", 0) != 0) return "attribute storage_order=1 is not supported";
        return AttributeRanges.First(AttributeRanges.Window(n), AttributeRanges.Flag(n, "ceil_mode"),
            AttributeRanges.Flag(n, "count_include_pad"), CheckAutoPad(n));
    }

    private static string? CheckBatchNorm(ModelGraph g, GraphNode n)
    {
        for (int i = 1; i <= 4; i++)
            if (!IsConstantExpression(g, n.Input(i))) return $"input {i} ('{n.Input(i)}') is not a constant (only inference-mode BatchNormalization is supported)";
        if (n.GetInt("training_mode", 0) != 0) return "attribute training_mode=1 is not supported";
        if (n.Outputs.Skip(1).Any(o => o.Length > 0)) return "running mean/variance outputs (training) are not supported";
        return AttributeRanges.FiniteNonNegative(n, "epsilon", 1e-5f);
    }

    private static string? CheckLayerNorm(ModelGraph g, GraphNode n) => AttributeRanges.FiniteNonNegative(n, "epsilon", 1e-5f);

    private static string? CheckGemm(ModelGraph g, GraphNode n) =>
        AttributeRanges.First(AttributeRanges.Flag(n, "transA"), AttributeRanges.Flag(n, "transB"));

    private static string? CheckGelu(ModelGraph g, GraphNode n)
    {
        var approx = n.GetString("approximate", "none");
        return approx == "none" ? null : $"attribute approximate='{approx}' is not supported (only 'none')";
    }

    private static string? CheckPad(ModelGraph g, GraphNode n)
    {
        var mode = n.GetString("mode", "constant");
        return mode is "constant" or "reflect" or "edge" ? null : $"attribute mode='{mode}' is not supported (constant, reflect, edge)";
    }

    private static string? CheckConstant(ModelGraph g, GraphNode n)
    {
        try { ShapeInference.ConstantValue(n); return null; }
        catch (NotSupportedException) { return $"no supported value attribute (found: {string.Join(", ", n.Attributes.Keys)})"; }
    }

    private static string? CheckCast(ModelGraph g, GraphNode n)
    {
        var to = (TensorDataType)n.GetInt("to", 0);
        return to.IsFloating() || to.IsIntegral() ? null : $"attribute to={to} is not a supported dtype";
    }

    /// <summary>True when <paramref name="value"/> is an initializer or computed only from constants (foldable).</summary>
    public static bool IsConstantExpression(ModelGraph g, string value) => value.Length > 0 && IsComputedFrom(g, value, shapeIsLeaf: false);

    /// <summary>
    /// True when <paramref name="value"/> is computed only from constants and, with <paramref name="shapeIsLeaf"/>,
    /// from Shape nodes too (whose values are known once the batch is bound).
    /// </summary>
    internal static bool IsComputedFrom(ModelGraph g, string value, bool shapeIsLeaf)
    {
        var producers = g.Producers();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool Visit(string v)
        {
            if (v.Length == 0 || g.ConstantOf(v) is not null) return true;
            if (!seen.Add(v) || !producers.TryGetValue(v, out var p)) return false;
            return p.OpType == "Constant" || (shapeIsLeaf && p.OpType == "Shape") || p.Inputs.All(Visit);
        }
        return Visit(value);
    }
}
