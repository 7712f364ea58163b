// Rejects models the engine cannot run, before any work is done (no shape inference, no optimisation,
// no device allocation): every problem is reported with the node name, op type, opset, and the attribute,
// input or dtype at fault, so the user knows exactly what to change in the export.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Registry;

namespace GpuSearch.Models;

/// <summary>Thrown when a model uses something the engine does not support. The message names the node.</summary>
public sealed class UnsupportedModelException : NotSupportedException
{
    /// <summary>Every problem found, one line each.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Creates the exception from its problem lines.</summary>
    public UnsupportedModelException(IReadOnlyList<string> problems)
        : base(problems.Count == 1 ? problems[0] : $"{problems.Count} unsupported constructs: " + string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? "; ..." : ""))
    {
        Problems = problems;
    }
}

/// <summary>Checks an imported graph against the op registry (Registry/OpRegistry).</summary>
internal static class ModelValidator
{
    /// <summary>Element types accepted for graph inputs.</summary>
    internal static readonly IReadOnlyList<TensorDataType> InputTypes = [TensorDataType.Float, TensorDataType.Float16];

    /// <summary>Returns every problem found (empty when the model is supported).</summary>
    public static List<string> FindProblems(ModelGraph g)
    {
        var problems = new List<string>();
        foreach (var name in g.Inputs)
        {
            var v = g.Value(name);
            if (v.DataType != TensorDataType.Undefined && !InputTypes.Contains(v.DataType))
                problems.Add($"graph input '{name}' has dtype {v.DataType.ShortName()} (supported: {string.Join(", ", InputTypes.Select(t => t.ShortName()))})");
            if (v.Shape is { } s && !(ShapeLimits.ElementsPerImage(s) <= ShapeLimits.MaxInputElementsPerImage))
                problems.Add($"graph input '{name}' has shape {s}, over the limit of {ShapeLimits.MaxInputElementsPerImage} elements per image");
        }
        using var memo = SupportRules.Memoize(g);
        var producers = g.Producers();
        var defined = new HashSet<string>(g.Inputs.Concat(g.Values.Where(kv => kv.Value.IsConstant).Select(kv => kv.Key)), StringComparer.Ordinal);
        defined.UnionWith(producers.Keys);
        foreach (var n in g.Nodes)
        {
            string where = $"node '{n.Name}' ({n.OpType}, opset {g.Opset})";
            if (n.Domain.Length > 0 && n.Domain != FusedOps.Domain)
            {
                problems.Add($"{where}: domain '{n.Domain}' is not supported (only the default ONNX domain)");
                continue;
            }
            var op = OpRegistry.Find(n.OpType);
            if (op is not { IsSupported: true })
            {
                problems.Add($"{where}: op type '{n.OpType}' is not supported" + (op is null ? "" : " (no kernel yet)"));
                continue;
            }
            foreach (var (an, a) in n.Attributes)
                if (a.Kind == AttributeKind.Unsupported) problems.Add($"{where}: attribute '{an}' of kind {a.S} is not supported");
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !defined.Contains(i)) problems.Add($"{where}: input '{i}' is not produced by any node, input or initializer");
            if (op.Check?.Invoke(g, n) is { } reason) problems.Add($"{where}: {reason}");
        }
        foreach (var o in g.Outputs)
            if (!defined.Contains(o)) problems.Add($"graph output '{o}' is not produced by any node");
        return problems;
    }

    /// <summary>Ops of <paramref name="g"/> that <paramref name="backend"/>'s kernels do not run, one line each.</summary>
    internal static List<string> FindBackendProblems(ModelGraph g, ComputeBackend backend) =>
        g.Nodes.Where(n => OpRegistry.Find(n.OpType) is { IsSupported: true } op && !op.RunsOn(backend))
            .Select(n => $"node '{n.Name}' ({n.OpType}, opset {g.Opset}): no {backend} kernel").ToList();

    /// <summary>Throws <see cref="UnsupportedModelException"/> listing every problem, or returns when the model is supported.</summary>
    public static void Validate(ModelGraph g)
    {
        var problems = FindProblems(g);
        if (problems.Count > 0) throw new UnsupportedModelException(problems);
    }
}
