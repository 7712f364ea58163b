// Checks several op definitions share: is an input a constant (or foldable to one), or shape arithmetic the
// planner evaluates on the host; is auto_pad a mode the geometry code knows.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Registry;

internal static class SupportRules
{
    /// <summary>No constraints beyond the op type.</summary>
    public static readonly SupportCheck None = (_, _) => null;

    /// <summary>True when <paramref name="value"/> is an initializer or computed only from constants (foldable).</summary>
    public static bool IsConstantExpression(ModelGraph g, string value) => value.Length > 0 && IsComputedFrom(g, value, shapeIsLeaf: false);

    /// <summary>
    /// True when <paramref name="value"/> is computed only from constants and, with <paramref name="shapeIsLeaf"/>,
    /// from Shape nodes too (whose values are known once the batch is bound).
    /// </summary>
    public static bool IsComputedFrom(ModelGraph g, string value, bool shapeIsLeaf)
    {
        var producers = g.Producers();
        // Memoised: shape arithmetic is a DAG (torch's expand reads one Reshape three times), so a value seen
        // before is answered from its first visit; a value still being visited (a cycle) is not computable.
        var known = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool Visit(string v)
        {
            if (v.Length == 0 || g.ConstantOf(v) is not null) return true;
            if (known.TryGetValue(v, out var r)) return r;
            if (!producers.TryGetValue(v, out var p)) return false;
            known[v] = false;
            return known[v] = p.OpType == "Constant" || (shapeIsLeaf && p.OpType == "Shape") || p.Inputs.All(Visit);
        }
        return Visit(value);
    }

    /// <summary>The data of <paramref name="value"/> when it is an initializer or a Constant node's output, else null.</summary>
    public static ConstTensor? ConstantOf(ModelGraph g, string value)
    {
        if (g.ConstantOf(value) is { } c) return c;
        if (value.Length == 0 || !g.Producers().TryGetValue(value, out var p) || p.OpType != "Constant") return null;
        try { return ShapeInference.ConstantValue(p); }
        catch (NotSupportedException) { return null; }
    }

    /// <summary>Null when input <paramref name="i"/> is omitted or known when planning (constant or shape arithmetic).</summary>
    public static string? KnownWhenPlanning(ModelGraph g, GraphNode n, int i, string what) =>
        !n.HasInput(i) || IsComputedFrom(g, n.Inputs[i], shapeIsLeaf: true) ? null
            : $"input {i} ('{n.Inputs[i]}', {what}) is not a constant or shape arithmetic (it must be known when planning)";

    /// <summary>
    /// Null when every input is a constant or shape arithmetic, for ops evaluated on the host only (folded at
    /// load time or evaluated when planning); else the reason naming the first runtime-tensor input.
    /// </summary>
    public static string? ShapeArithmeticOnly(ModelGraph g, GraphNode n)
    {
        for (int i = 0; i < n.Inputs.Count; i++)
            if (n.Inputs[i].Length > 0 && !IsComputedFrom(g, n.Inputs[i], shapeIsLeaf: true))
                return $"input {i} ('{n.Inputs[i]}') is a runtime tensor (only constants and shape arithmetic are supported; no device kernel yet)";
        return null;
    }

    /// <summary>The lowering of a host-only op: reached only when its output was not known when planning.</summary>
    public static void HostOnly(Execution.Lowering l, GraphNode n) =>
        throw new NotSupportedException($"output '{n.Outputs[0]}' is not known when planning (only constants and shape arithmetic are supported)");

    /// <summary>Null when auto_pad is a mode ConvGeometry resolves.</summary>
    public static string? AutoPad(GraphNode n)
    {
        var ap = n.GetString("auto_pad", "NOTSET");
        return ConvGeometry.AutoPadValues.Contains(ap) ? null : $"attribute auto_pad='{ap}' is not supported (supported: {string.Join(", ", ConvGeometry.AutoPadValues)})";
    }
}
