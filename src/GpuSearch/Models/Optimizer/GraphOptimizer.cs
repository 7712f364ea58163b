// Runs the optimizer rules to a fixpoint. Shape inference runs first (rules need shapes, e.g. to turn a
// torch Flatten-by-Reshape into Flatten) and again after each pass, since folding can make more known.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Applies <see cref="IGraphRule"/>s until none changes the graph.</summary>
internal sealed class GraphOptimizer
{
    /// <summary>The rules, in the order they are tried within a pass.</summary>
    public IReadOnlyList<IGraphRule> Rules { get; }

    /// <summary>Creates an optimizer with the given rules (default: <see cref="DefaultRules"/>).</summary>
    public GraphOptimizer(IEnumerable<IGraphRule>? rules = null) { Rules = (rules ?? DefaultRules()).ToList(); }

    /// <summary>
    /// The standard pipeline. Order matters: BatchNorm and constant bias Adds fold into a plain Conv before the
    /// residual Add is fused,
    /// and the residual is fused before the activation (FusedConv computes act(conv + bias + residual)).
    /// </summary>
    public static IEnumerable<IGraphRule> DefaultRules() =>
    [
        new RemoveIdentityAndDropout(),
        new ConstantFolding(),
        new ReshapeToFlatten(),
        new ResolveSymbolicReshape(),
        new RemoveDeadNodes(),
        new FoldBatchNormIntoConv(),
        new FoldBiasAddIntoConv(),
        new FuseGeluPattern(),
        new FuseGeluTanhPattern(),
        new FuseLayerNormPattern(),
        new FuseAttention(),
        new FuseResidualAddIntoConv(),
        new FuseActivationIntoConv(),
        new MatMulAddToGemm(),
        new FuseActivationIntoGemm(),
        new MatMulBiasToFusedMatMul(),
        new FuseResidualAddIntoMatMul(),
        new FuseActivationIntoMatMul(),
        new CanonicalizeConv(),
    ];

    /// <summary>Optimizes <paramref name="g"/> in place; returns the number of rewrites per rule name.</summary>
    public Dictionary<string, int> Run(ModelGraph g, int maxPasses = 20)
    {
        var stats = Rules.ToDictionary(r => r.Name, _ => 0);
        ShapeInference.Run(g);
        for (int pass = 0; pass < maxPasses; pass++)
        {
            int changes = 0;
            foreach (var rule in Rules)
            {
                int n = rule.Apply(g);
                if (n == 0) continue;
                stats[rule.Name] += n;
                changes += n;
                g.TopologicalSort();
            }
            if (changes == 0) break;
            g.RemoveUnusedValues();
            ShapeInference.Run(g);
        }
        return stats;
    }
}
