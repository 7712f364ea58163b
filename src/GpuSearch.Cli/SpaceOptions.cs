// CLI shape of multi-backbone ensembles and named embedding spaces: `index --model A --model B --weights 1,0.5
// [--space-names a,b]` builds one index from several models; `query/eval/dedup/serve --space NAME[=W]` weights the
// spaces of the searches. --preprocess, --output-name and --pool are then given once (for every model) or once per model.
using System.CommandLine;
using System.Globalization;
using GpuSearch.Embedding;

namespace GpuSearch.Cli;

internal static class SpaceOptions
{
    public static Option<string[]> Models() => new("--model")
    {
        Description = "ONNX model (default: the index's model, else the default model); repeat it for an ensemble index (one embedding space per model; 'default' names the default model)",
        Arity = ArgumentArity.ZeroOrMore,
    };
    public static Option<string?> Weights() => new("--weights") { Description = "Ensemble: comma-separated weight per --model (default all 1); the score is the weighted mean of the per-model cosines" };
    public static Option<string?> Names() => new("--space-names") { Description = "Ensemble: comma-separated space name per --model (default: the model file names), used by query --space" };
    public static Option<string[]> Spaces() => new("--space")
    { Description = "NAME[=W]: search by these embedding spaces of the index with these weights (W default 1; spaces not named count 0)", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>
    /// The engine's spaces for several --model values, or null for at most one. Per-model options (--preprocess,
    /// --output-name, --pool) come once for all or once per model; an empty value means the default.
    /// </summary>
    public static IReadOnlyList<EmbeddingSpace>? Build(string[] models, string? weights, string? names, string[] preprocess, string[] outputs, string[] pools)
    {
        if (models.Length <= 1)
        {
            if (weights is not null || names is not null) throw new ArgumentException("--weights and --space-names need two or more --model");
            return null;
        }
        var w = weights is null ? models.Select(_ => 1f).ToArray() : weights.Split(',').Select(ParseWeight).ToArray();
        var n = names?.Split(',');
        if (w.Length != models.Length) throw new ArgumentException($"--weights gives {w.Length} weight(s) for {models.Length} --model");
        if (n is not null && n.Length != models.Length) throw new ArgumentException($"--space-names gives {n.Length} name(s) for {models.Length} --model");
        string? Pick(string[] values, int i, string option) => values.Length switch
        {
            0 => null,
            1 => NullIfEmpty(values[0]),
            _ when values.Length == models.Length => NullIfEmpty(values[i]),
            _ => throw new ArgumentException($"{option} is given {values.Length} times for {models.Length} --model: give it once (for all) or once per model"),
        };
        // "default" names the default model (whose file lives beside the program), so it can join an ensemble.
        models = models.Select(m => m.Equals("default", StringComparison.OrdinalIgnoreCase) ? DefaultModel.RequirePath() : m).ToArray();
        return models.Select((m, i) => new EmbeddingSpace(m, w[i], n?[i].Trim(),
            CliCommon.ParsePreprocess(Pick(preprocess, i, "--preprocess"), m), Pick(outputs, i, "--output-name"),
            CliCommon.ParsePool(Pick(pools, i, "--pool")))).ToArray();
    }

    /// <summary>Makes a malformed --space a usage error at parse time (exit 2 before anything is opened).</summary>
    public static void ValidateAtParse(Option<string[]> spaces) => spaces.Validators.Add(r =>
    {
        try { ParseSpaces(r.GetValueOrDefault<string[]>()); }
        catch (ArgumentException e) { r.AddError(e.Message); }
    });

    /// <summary>Parses repeated <c>NAME[=W]</c> values into per-space weights, or null when none were given.</summary>
    public static IReadOnlyDictionary<string, float>? ParseSpaces(string[]? values)
    {
        if (values is null || values.Length == 0) return null;
        var result = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=');
            var name = (eq < 0 ? v : v[..eq]).Trim();
            var weight = eq < 0 ? 1f : ParseWeight(v[(eq + 1)..]);
            if (name.Length == 0) throw new ArgumentException($"--space '{v}' needs a space name");
            if (!result.TryAdd(name, weight)) throw new ArgumentException($"--space names '{name}' twice");
        }
        return result;
    }

    private static float ParseWeight(string text) =>
        float.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && float.IsFinite(w) && w >= 0 ? w
            : throw new ArgumentException($"weight '{text}' must be a finite number >= 0");

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
