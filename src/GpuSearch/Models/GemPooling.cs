// Generalized-mean (GeM) pooling over a CNN's 4-D feature map, as image-retrieval work uses it instead of average
// pooling: (mean over H×W of max(x, eps)^p)^(1/p) per channel — p = 1 is average pooling, p → ∞ max pooling. Done as
// a load-time graph rewrite into ops the engine already runs on the device (Clip → Pow → GlobalAveragePool → Pow →
// Flatten), so no kernel of its own; the pooled [N, C] value becomes the graph's only output.
using System.Globalization;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

/// <summary>GeM pooling of a named [N, C, H, W] value (see <see cref="Parse"/> for the option syntax).</summary>
/// <param name="P">The exponent p (finite, at least 1e-3).</param>
public sealed record GemPooling(double P)
{
    /// <summary>The default exponent (Radenović et al.'s fixed setting).</summary>
    public const double DefaultP = 3;

    /// <summary>Lower clamp before the power, so a fractional or large p never sees zero or a negative value.</summary>
    public const float Eps = 1e-6f;

    /// <summary>Name of the pooled output for a feature map.</summary>
    public static string OutputFor(string featureMap) => featureMap + ".gem";

    /// <summary>The option as written: <c>gem</c> (p = 3) or <c>gem:P</c>.</summary>
    public override string ToString() => $"gem:{P.ToString("R", CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>gem</c> or <c>gem:P</c> (e.g. <c>gem:4.5</c>).</summary>
    /// <exception cref="ArgumentException">Not that form, or p is not a finite number in 0.001..100.</exception>
    public static GemPooling Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':');
        if (!parts[0].Equals("gem", StringComparison.OrdinalIgnoreCase) || parts.Length > 2)
            throw new ArgumentException($"pooling '{text}' is not gem or gem:P (the only pooling supported)");
        double p = DefaultP;
        if (parts.Length == 2 && !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out p))
            throw new ArgumentException($"pooling '{text}': p must be a number, got '{parts[1]}'");
        var gem = new GemPooling(p);
        gem.Validate();
        return gem;
    }

    /// <summary>Throws when p is not finite or outside 0.001..100 (beyond that fp32 powers overflow or vanish).</summary>
    public void Validate()
    {
        if (!double.IsFinite(P) || P < 1e-3 || P > 100)
            throw new ArgumentException($"GeM p must be a finite number in 0.001..100, got {P.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// Appends the pooling of <paramref name="featureMap"/> to a validated graph and makes its [N, C] result the only
    /// graph output (named <see cref="OutputFor"/>), so nothing after the feature map runs. Call before shape inference proper
    /// (<see cref="ModelLoader.Prepare"/> does).
    /// </summary>
    /// <exception cref="ArgumentException">No such value, or it is not 4-D; the message names the value and the choices.</exception>
    internal string Apply(ModelGraph g, string featureMap)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentException.ThrowIfNullOrEmpty(featureMap);
        Validate();
        if (!g.Values.TryGetValue(featureMap, out var fm) || fm.IsConstant || g.Inputs.Contains(featureMap))
            throw new ArgumentException($"--pool: the model computes no value '{featureMap}' (outputs: {string.Join(", ", g.Outputs)}; " +
                "name any 4-D value of the ONNX graph, e.g. the input of its final pooling node)");
        ShapeInference.Run(g);
        if (fm.Shape is not { Rank: 4 })
            throw new ArgumentException($"--pool: '{featureMap}' must be a [N,C,H,W] feature map, it is {fm.Shape?.ToString() ?? "of unknown shape"}");

        string Node(string op, string hint, params string[] inputs)
        {
            var output = g.NewName($"{featureMap}.gem_{hint}");
            g.GetOrAddValue(output);
            g.Nodes.Add(new GraphNode(op, g.NewName($"gem_{hint}"), inputs, [output]));
            return output;
        }
        string clipped;
        if (g.Opset < 11)
        {
            clipped = Node("Clip", "clip", featureMap);
            g.Nodes[^1].Set("min", GraphAttribute.Of(Eps));
        }
        else clipped = Node("Clip", "clip", featureMap, g.AddConstant("gem_eps", ConstTensor.Scalar(Eps)));
        var powered = Node("Pow", "pow", clipped, g.AddConstant("gem_p", ConstTensor.Scalar((float)P)));
        var mean = Node("GlobalAveragePool", "mean", powered);
        var rooted = Node("Pow", "root", mean, g.AddConstant("gem_inv_p", ConstTensor.Scalar((float)(1 / P))));
        var output = OutputFor(featureMap);
        if (g.Values.ContainsKey(output)) throw new ArgumentException($"--pool: the model already has a value named '{output}'");
        g.GetOrAddValue(output);
        g.Nodes.Add(new GraphNode("Flatten", g.NewName("gem_flatten"), [rooted], [output]).Set("axis", GraphAttribute.Of(1L)));
        g.Outputs.Clear();
        g.Outputs.Add(output);
        return output;
    }
}
