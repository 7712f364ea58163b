// Summary of a model for `gpusearch model-info` and logs: inputs/outputs with inferred shapes, op counts
// before and after optimization, parameter count, attention blocks and per-image compute (MACs; FLOPs = 2 × MACs).
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

/// <summary>Name, element type and shape (e.g. "[batch,3,224,224]") of a graph input or output.</summary>
internal sealed record TensorInfo(string Name, string DataType, string Shape);

/// <summary>What <c>gpusearch model-info</c> reports about a model.</summary>
internal sealed class ModelInfo
{
    /// <summary>Model file path.</summary>
    public required string Path { get; init; }
    /// <summary>ONNX IR version.</summary>
    public long IrVersion { get; init; }
    /// <summary>Default-domain opset.</summary>
    public long Opset { get; init; }
    /// <summary>Producer name and version.</summary>
    public string Producer { get; init; } = "";
    /// <summary>Graph inputs.</summary>
    public required IReadOnlyList<TensorInfo> Inputs { get; init; }
    /// <summary>Graph outputs with inferred shapes.</summary>
    public required IReadOnlyList<TensorInfo> Outputs { get; init; }
    /// <summary>Op counts as imported.</summary>
    public required IReadOnlyDictionary<string, int> OpsBefore { get; init; }
    /// <summary>Op counts after optimization.</summary>
    public required IReadOnlyDictionary<string, int> OpsAfter { get; init; }
    /// <summary>Rewrites per optimizer rule.</summary>
    public required IReadOnlyDictionary<string, int> RuleApplications { get; init; }
    /// <summary>Initializer elements in the imported model.</summary>
    public long Parameters { get; init; }
    /// <summary>Multiply-accumulates per image (convolutions, Gemm, MatMul).</summary>
    public long MacsPerImage { get; init; }
    /// <summary>Why a fixed batch of 1 could not be freed (the model runs one image at a time), or null.</summary>
    public string? FixedBatchReason { get; init; }
    /// <summary>Scaled-dot-product attention blocks (Softmax between a score MatMul and a value MatMul).</summary>
    public int AttentionBlocks { get; init; }
    /// <summary>FLOPs per image = 2 × <see cref="MacsPerImage"/>.</summary>
    public long FlopsPerImage => 2 * MacsPerImage;

    /// <summary>Loads, validates and optimizes <paramref name="path"/> and summarises it.</summary>
    public static ModelInfo Load(string path)
    {
        var m = ModelLoader.Load(path);
        var g = m.Graph;
        TensorInfo Info(string n) { var v = g.Value(n); return new(n, v.DataType.ShortName(), v.Shape?.ToString() ?? "?"); }
        var inputs = g.Inputs.Select(Info).ToList();
        var outputs = g.Outputs.Select(Info).ToList();
        var opsAfter = g.OpCounts();
        int attention = Models.AttentionBlocks.Find(g).Count;
        // Shapes inside attention (torch's [N·heads, L, d]) stay unknown while the batch is symbolic; bound to
        // one image, shape inference knows every product's size, so MACs count what one image costs.
        bool bound = false;
        foreach (var name in g.Inputs)
            if (g.Value(name).Shape is { IsFullyKnown: false } s) { g.Value(name).Shape = s.Bind(1); bound = true; }
        if (bound)
        {
            try { ShapeInference.Run(g); }
            catch (InvalidDataException) { } // counts then use what the symbolic pass inferred
        }
        return new ModelInfo
        {
            Path = path, IrVersion = g.IrVersion, Opset = g.Opset, Producer = g.Producer,
            Inputs = inputs, Outputs = outputs,
            OpsBefore = m.OpsBefore, OpsAfter = opsAfter, RuleApplications = m.RuleApplications,
            Parameters = m.ParameterCount, MacsPerImage = CountMacs(g, batchIsOne: bound), FixedBatchReason = m.FixedBatchReason,
            AttentionBlocks = attention,
        };
    }

    /// <summary>
    /// MACs per image of a shape-inferred graph. With a symbolic batch the leading (batch) dim of each output is
    /// not counted; with <paramref name="batchIsOne"/> (inputs bound to one image) every dim counts, which is
    /// right for batched products whose leading dim is batch × heads.
    /// </summary>
    public static long CountMacs(ModelGraph g, bool batchIsOne = false)
    {
        long total = 0;
        foreach (var n in g.Nodes)
        {
            var y = n.Outputs.Count > 0 ? g.Value(n.Outputs[0]).Shape : null;
            if (y is null || y.Rank == 0) continue;
            long perImage = new TensorShape(y.Dims.Skip(batchIsOne ? 0 : 1)).KnownProduct();
            switch (n.OpType)
            {
                case "Conv" or FusedOps.FusedConv:
                    var w = g.Value(n.Inputs[1]).Shape;
                    if (w is null) break;
                    // Each output element costs (Cin / group) × kernel MACs; W is [M, Cin/group, k...].
                    total += perImage * new TensorShape(w.Dims.Skip(1)).KnownProduct();
                    break;
                case "Gemm" or FusedOps.FusedGemm:
                    var a = g.Value(n.Inputs[0]).Shape;
                    if (a is null) break;
                    long k = n.GetInt("transA", 0) != 0 ? (a[0].IsKnown ? a[0].Value : 1) : (a[1].IsKnown ? a[1].Value : 1);
                    total += perImage * k;
                    break;
                case FusedOps.FusedAttention:
                    // Scores A·B (D per score) and weights · V (DV per output): per output row S·(D + DV).
                    // S is V's row count (input 1 may be K read through a transpose, perm_b).
                    if (g.Value(n.Inputs[0]).Shape is not { } qa || g.Value(n.Inputs[2]).Shape is not { } vs || !y[-1].IsKnown || y[-1].Value == 0) break;
                    if (!qa[-1].IsKnown || !vs[-2].IsKnown) break;
                    total += perImage / y[-1].Value * vs[-2].Value * (qa[-1].Value + y[-1].Value);
                    break;
                case "MatMul" or FusedOps.FusedMatMul:
                    var ma = g.Value(n.Inputs[0]).Shape;
                    if (ma is null) break;
                    total += perImage * (ma[-1].IsKnown ? ma[-1].Value : 1);
                    break;
            }
        }
        return total;
    }
}
