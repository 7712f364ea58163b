// The one path from an .onnx file to a runnable graph: read → import → validate (before any work) →
// free a fixed batch of 1 → shape inference → optimize. The executor and `gpusearch model-info` both go through here.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Models.Optimizer;

namespace GpuSearch.Models;

/// <summary>A model loaded, validated and optimized, with what happened on the way.</summary>
internal sealed class LoadedModel
{
    /// <summary>The optimized graph (topologically sorted, shapes inferred, batch symbolic).</summary>
    public required ModelGraph Graph { get; init; }
    /// <summary>Op counts of the graph as imported.</summary>
    public required SortedDictionary<string, int> OpsBefore { get; init; }
    /// <summary>Rewrites made per optimizer rule.</summary>
    public required Dictionary<string, int> RuleApplications { get; init; }
    /// <summary>Total elements of the imported model's initializers (trainable parameters, BN statistics included).</summary>
    public required long ParameterCount { get; init; }
    /// <summary>Null when the batch is symbolic (as exported, or freed from a fixed 1 by <see cref="FixedBatch"/>);
    /// otherwise why a fixed batch of 1 stays fixed, naming the node.</summary>
    public string? FixedBatchReason { get; init; }
}

/// <summary>Loads ONNX models into optimized <see cref="ModelGraph"/>s.</summary>
internal static class ModelLoader
{
    /// <summary>Loads <paramref name="path"/>; throws <see cref="InvalidDataException"/> for unreadable files and
    /// <see cref="UnsupportedModelException"/> (naming node, op, opset and attribute) for unsupported content.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="optimize">Run the optimizer.</param>
    /// <param name="rewrite">A load-time rewrite (e.g. <see cref="GemPooling.Apply"/>) run on the validated graph before its batch is freed.</param>
    public static LoadedModel Load(string path, bool optimize = true, Action<ModelGraph>? rewrite = null)
    {
        var g = OnnxImporter.LoadFile(path);
        return Prepare(g, optimize, rewrite);
    }

    /// <summary>Validates, infers and optimizes an imported graph (in place), applying <paramref name="rewrite"/> after validation.</summary>
    public static LoadedModel Prepare(ModelGraph g, bool optimize = true, Action<ModelGraph>? rewrite = null)
    {
        long parameters = g.Values.Values.Where(v => v.IsConstant).Sum(v => v.Constant!.ElementCount);
        var before = g.OpCounts();
        ModelValidator.Validate(g);
        rewrite?.Invoke(g);
        var fixedBatch = FixedBatch.TryFree(g);
        Dictionary<string, int> stats;
        if (optimize) stats = new GraphOptimizer().Run(g);
        else { ShapeInference.Run(g); stats = []; }
        return new LoadedModel { Graph = g, OpsBefore = before, RuleApplications = stats, ParameterCount = parameters, FixedBatchReason = fixedBatch };
    }
}
