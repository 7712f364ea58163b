// The graph IR that the optimizer rewrites and the executor runs: a list of nodes plus a table of named
// values. Deliberately simple (no pointers between nodes): producers and consumers are recomputed from
// names when a rule needs them, which is cheap for CNN-sized graphs and can never go stale.
namespace GpuSearch.Models.Graph;

/// <summary>
/// A model graph. Invariants the executor may rely on after <see cref="ShapeInference"/> and the optimizer:
/// every node input/output name is a key of <see cref="Values"/>; each value has at most one producer;
/// <see cref="Nodes"/> is in topological order (call <see cref="TopologicalSort"/> after edits);
/// constants (weights) are values with <see cref="GraphValue.Constant"/> set and no producer.
/// <see cref="ConstTensor"/> data is never mutated in place by rules, only replaced.
/// </summary>
internal sealed class ModelGraph
{
    /// <summary>Graph name from the model.</summary>
    public string Name { get; set; } = "";
    /// <summary>Default-domain opset the model was exported with.</summary>
    public long Opset { get; set; }
    /// <summary>ONNX IR version of the source model.</summary>
    public long IrVersion { get; set; }
    /// <summary>Producer name (and version) of the source model.</summary>
    public string Producer { get; set; } = "";
    /// <summary>Nodes, in topological order once sorted.</summary>
    public List<GraphNode> Nodes { get; } = [];
    /// <summary>All values by name.</summary>
    public Dictionary<string, GraphValue> Values { get; } = new(StringComparer.Ordinal);
    /// <summary>Names of the runtime inputs (initializers excluded).</summary>
    public List<string> Inputs { get; } = [];
    /// <summary>Names of the graph outputs.</summary>
    public List<string> Outputs { get; } = [];

    private int _nameCounter;

    /// <summary>The value called <paramref name="name"/>; throws naming it when absent.</summary>
    public GraphValue Value(string name) =>
        Values.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"value '{name}' is not defined in the graph");

    /// <summary>The value, creating an untyped one when absent.</summary>
    public GraphValue GetOrAddValue(string name)
    {
        if (!Values.TryGetValue(name, out var v)) Values[name] = v = new GraphValue(name);
        return v;
    }

    /// <summary>Constant data of <paramref name="name"/>, or null when it is not a constant (or "").</summary>
    public ConstTensor? ConstantOf(string name) =>
        name.Length > 0 && Values.TryGetValue(name, out var v) ? v.Constant : null;

    /// <summary>Adds a new constant value with a fresh name derived from <paramref name="hint"/>.</summary>
    public string AddConstant(string hint, ConstTensor t)
    {
        var name = NewName(hint);
        var v = new GraphValue(name);
        v.SetConstant(t);
        Values[name] = v;
        return name;
    }

    /// <summary>A value or node name not yet used in the graph.</summary>
    public string NewName(string hint)
    {
        var names = new HashSet<string>(Nodes.Select(n => n.Name), StringComparer.Ordinal);
        string candidate = hint;
        while (Values.ContainsKey(candidate) || names.Contains(candidate)) candidate = $"{hint}_{++_nameCounter}";
        return candidate;
    }

    /// <summary>True when <paramref name="name"/> is a graph output.</summary>
    public bool IsGraphOutput(string name) => Outputs.Contains(name);

    /// <summary>Map value name → producing node.</summary>
    public Dictionary<string, GraphNode> Producers()
    {
        var d = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (var n in Nodes) foreach (var o in n.Outputs) if (o.Length > 0) d[o] = n;
        return d;
    }

    /// <summary>Map value name → consuming nodes (a node appears once per input slot that uses the value).</summary>
    public Dictionary<string, List<GraphNode>> Consumers()
    {
        var d = new Dictionary<string, List<GraphNode>>(StringComparer.Ordinal);
        foreach (var n in Nodes)
            foreach (var i in n.Inputs)
                if (i.Length > 0)
                {
                    if (!d.TryGetValue(i, out var l)) d[i] = l = [];
                    l.Add(n);
                }
        return d;
    }

    /// <summary>Number of uses of <paramref name="name"/>: node input slots plus graph outputs.</summary>
    public int UseCount(string name, Dictionary<string, List<GraphNode>> consumers) =>
        (consumers.TryGetValue(name, out var l) ? l.Count : 0) + Outputs.Count(o => o == name);

    /// <summary>Replaces every node input named <paramref name="from"/> with <paramref name="to"/>.</summary>
    public void ReplaceUses(string from, string to)
    {
        foreach (var n in Nodes)
            for (int i = 0; i < n.Inputs.Count; i++)
                if (n.Inputs[i] == from) n.Inputs[i] = to;
    }

    /// <summary>Orders <see cref="Nodes"/> so producers precede consumers, keeping file order among ready nodes.</summary>
    /// <exception cref="InvalidDataException">The graph has a cycle or a node reads a value nothing defines.</exception>
    public void TopologicalSort()
    {
        var producers = Producers();
        var pending = new Dictionary<GraphNode, int>();
        var waiting = new Dictionary<string, List<GraphNode>>(StringComparer.Ordinal);
        foreach (var n in Nodes)
        {
            int deps = 0;
            foreach (var i in n.Inputs.Distinct())
            {
                if (i.Length == 0 || !producers.ContainsKey(i)) continue;
                if (producers[i] == n) throw new InvalidDataException($"{n.Describe()} reads its own output '{i}'");
                deps++;
                if (!waiting.TryGetValue(i, out var l)) waiting[i] = l = [];
                l.Add(n);
            }
            pending[n] = deps;
        }
        var order = new List<GraphNode>(Nodes.Count);
        // Ready nodes are taken in original order (a sorted set keyed by index) to keep output stable.
        var index = Nodes.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
        var ready = new SortedSet<int>(Nodes.Where(n => pending[n] == 0).Select(n => index[n]));
        while (ready.Count > 0)
        {
            var n = Nodes[ready.Min];
            ready.Remove(ready.Min);
            order.Add(n);
            foreach (var o in n.Outputs)
                if (waiting.TryGetValue(o, out var ws))
                    foreach (var w in ws)
                        if (--pending[w] == 0) ready.Add(index[w]);
        }
        if (order.Count != Nodes.Count)
        {
            var stuck = Nodes.First(n => pending[n] > 0);
            throw new InvalidDataException($"graph has a cycle involving {stuck.Describe()}");
        }
        Nodes.Clear();
        Nodes.AddRange(order);
    }

    /// <summary>Removes values no node, input or output refers to (e.g. weights of a folded BatchNorm).</summary>
    public void RemoveUnusedValues()
    {
        var used = new HashSet<string>(Inputs.Concat(Outputs), StringComparer.Ordinal);
        foreach (var n in Nodes) { used.UnionWith(n.Inputs); used.UnionWith(n.Outputs); }
        foreach (var k in Values.Keys.Where(k => !used.Contains(k)).ToList()) Values.Remove(k);
    }

    /// <summary>Node count per op type, sorted by op type.</summary>
    public SortedDictionary<string, int> OpCounts()
    {
        var d = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in Nodes) d[n.OpType] = d.GetValueOrDefault(n.OpType) + 1;
        return d;
    }
}
