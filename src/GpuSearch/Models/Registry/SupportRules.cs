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
        // Inside Memoize(g) answers are shared by every check: the validator asks about thousands of nodes of
        // one graph (Swin-S has 13k), and walking each runtime chain back to the input again was quadratic.
        var scope = t_scope is { } sc && ReferenceEquals(sc.Graph, g) ? sc : null;
        var producers = scope?.Producers ?? g.Producers();
        var known = scope?.Known[shapeIsLeaf ? 1 : 0] ?? new Dictionary<string, bool>(StringComparer.Ordinal);
        bool? Decided(string v) =>
            v.Length == 0 || g.ConstantOf(v) is not null ? true
            : known.TryGetValue(v, out var r) ? r
            : producers.ContainsKey(v) ? null : false;
        // Depth-first with an explicit stack (a runtime chain can be thousands of nodes deep). Shape arithmetic
        // is a DAG (torch's expand reads one Reshape three times); a value reached again while still being
        // visited is a cycle and not computable.
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(value);
        while (stack.Count > 0)
        {
            var v = stack.Peek();
            if (Decided(v) is not null) { stack.Pop(); continue; }
            var p = producers[v];
            bool result = true;
            string? pending = null;
            if (!(p.OpType == "Constant" || (shapeIsLeaf && p.OpType == "Shape")))
            {
                visiting.Add(v);
                foreach (var i in p.Inputs)
                {
                    var k = Decided(i);
                    if (k == true) continue;
                    if (k == false || visiting.Contains(i)) { result = false; break; }
                    pending = i;
                    break;
                }
            }
            if (pending is not null) { stack.Push(pending); continue; }
            known[v] = result;
            visiting.Remove(v);
            stack.Pop();
        }
        return Decided(value) == true;
    }

    [ThreadStatic] private static MemoScope? t_scope;

    private sealed record MemoScope(ModelGraph Graph, Dictionary<string, GraphNode> Producers, Dictionary<string, bool>[] Known, MemoScope? Outer);

    /// <summary>
    /// Shares <see cref="IsComputedFrom"/>'s answers for <paramref name="g"/> on this thread until disposed. The
    /// graph must not change meanwhile (the validator only reads it).
    /// </summary>
    public static IDisposable Memoize(ModelGraph g)
    {
        var scope = new MemoScope(g, g.Producers(), [new(StringComparer.Ordinal), new(StringComparer.Ordinal)], t_scope);
        t_scope = scope;
        return new EndScope(scope);
    }

    private sealed class EndScope(MemoScope scope) : IDisposable
    {
        public void Dispose() { if (t_scope == scope) t_scope = scope.Outer; }
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
