// Removes nodes none of whose outputs is used (e.g. the Shape → Gather chain left behind once a Reshape
// became a Flatten), then values nothing refers to any more.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Optimizer;

/// <summary>Dead-code elimination.</summary>
internal sealed class RemoveDeadNodes : IGraphRule
{
    /// <inheritdoc/>
    public string Name => "RemoveDeadNodes";

    /// <inheritdoc/>
    public int Apply(ModelGraph g)
    {
        int removed = 0;
        bool again = true;
        while (again)
        {
            again = false;
            var consumers = g.Consumers();
            for (int i = g.Nodes.Count - 1; i >= 0; i--)
            {
                var n = g.Nodes[i];
                if (n.Outputs.Any(o => o.Length > 0 && g.UseCount(o, consumers) > 0)) continue;
                g.Nodes.RemoveAt(i);
                removed++;
                again = true;
            }
        }
        if (removed > 0) g.RemoveUnusedValues();
        return removed;
    }
}
