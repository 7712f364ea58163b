// Replaces every node whose inputs are all constant by the constant it computes (on the CPU, with the
// fold rule of its op definition in the registry), including Shape of a tensor whose shape is fully known. With a symbolic batch, a
// Shape output is only partly known; those chains stay (ReshapeToFlatten handles torch's flatten pattern).
using GpuSearch.Models.Graph;
using GpuSearch.Models.Registry;

namespace GpuSearch.Models.Optimizer;

/// <summary>Folds constant subgraphs into constants.</summary>
internal sealed class ConstantFolding : IGraphRule
{
    /// <inheritdoc/>
    public string Name => "ConstantFolding";

    /// <summary>Largest result (elements) folded; bigger results would bloat the model for little gain.</summary>
    public long MaxElements { get; init; } = 1 << 24;

    /// <inheritdoc/>
    public int Apply(ModelGraph g)
    {
        int folded = 0;
        // Nodes are in topological order, so one sweep folds whole chains. Each node is inferred again first:
        // a value folded earlier in this sweep (Swin's pads, computed from shapes) can make a later shape known,
        // and with it the shape arithmetic after it, so a deep model needs one sweep, not a pass per block.
        foreach (var n in g.Nodes.ToList())
        {
            ShapeInference.InferNode(g, n);
            if (n.Outputs.Count == 0 || n.Outputs[0].Length == 0) continue;
            if (n.Outputs.Skip(1).Any(o => o.Length > 0)) continue; // e.g. Dropout with a mask
            // Shape arithmetic whose result shape inference already knows in full (e.g. a channel count
            // gathered from Shape of an [N,C,H,W] tensor) folds even though Shape itself cannot.
            var outVal = g.Value(n.Outputs[0]);
            if (outVal.SymbolicData is { } sym && sym.All(d => d.Number is not null) && outVal.Shape is { } os && os.IsFullyKnown
                && os.KnownProduct() == sym.Length && outVal.DataType.IsIntegral())
            {
                outVal.SetConstant(ConstTensor.FromLongs(os.ToLongs(), sym.Select(d => d.Number!.Value).ToArray(), outVal.DataType));
                g.Nodes.Remove(n);
                folded++;
                continue;
            }
            if (OpRegistry.Find(n.OpType) is not { Fold: { } fold } op) continue;
            bool ready = op.FoldWhen == FoldWhen.Always
                || (n.Inputs.Count > 0 && n.Inputs.Where(i => i.Length > 0).All(i => g.ConstantOf(i) is not null));
            if (!ready) continue;
            var outShape = g.Value(n.Outputs[0]).Shape;
            if (outShape?.ElementCount is > 0 and var c && c > MaxElements) continue;
            ConstTensor? result;
            try { result = fold(g, n); }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
            {
                throw new InvalidDataException($"{n.Describe()}: constant folding failed: {e.Message}", e);
            }
            if (result is null) continue;
            g.Value(n.Outputs[0]).SetConstant(result);
            g.Nodes.Remove(n);
            folded++;
        }
        if (folded > 0) g.RemoveUnusedValues();
        return folded;
    }
}
