// The contract every optimizer rule implements (one rule per file in this folder). Rules rewrite the graph
// in place and report how many rewrites they made; the GraphOptimizer runs them all until none applies.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>One graph rewrite rule.</summary>
internal interface IGraphRule
{
    /// <summary>Stable name, used in reports and tests.</summary>
    string Name { get; }

    /// <summary>
    /// Applies the rule wherever it matches and returns the number of rewrites (0 = nothing matched).
    /// Rules must keep value shapes valid, never mutate <see cref="ConstTensor"/> data in place, and leave
    /// graph input/output names unchanged.
    /// </summary>
    int Apply(ModelGraph graph);
}

/// <summary>Base for rules that find one match at a time: simple to get right, since indexes are rebuilt after every rewrite.</summary>
internal abstract class SingleMatchRule : IGraphRule
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>Finds one match, rewrites it and returns true; false when nothing matches.</summary>
    protected abstract bool TryApplyOnce(ModelGraph graph);

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        int count = 0;
        // The bound is a guard against a rule that keeps matching its own output.
        while (count < 100_000 && TryApplyOnce(graph)) count++;
        return count;
    }
}
