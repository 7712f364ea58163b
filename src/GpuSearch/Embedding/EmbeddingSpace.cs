// One named segment of a stored vector: the model (with its own preprocessing, output and pooling) that makes it and
// the weight it carries. An index with several spaces is a multi-backbone ensemble (or one model on several crops):
// every image is decoded once and embedded by each space's model in the same device pass.
using System.Globalization;
using GpuSearch.Imaging;
using GpuSearch.Models;

namespace GpuSearch.Embedding;

/// <summary>
/// A model whose L2-normalised embedding is one named segment of each stored vector (see
/// <see cref="EngineOptions.Spaces"/>). With weights w, segment m holds √(w_m / Σw) · normalize(e_m), so the stored
/// vector stays unit-length and its cosine with a query of the same index is Σ w_m·cos_m / Σw — the weighted mean of
/// the per-model cosines.
/// </summary>
/// <param name="ModelPath">ONNX model file.</param>
/// <param name="Weight">Share of this space in the default score (finite, &gt; 0).</param>
/// <param name="Name">Space name for queries (<c>--space NAME=W</c>); null = the model file's name without extension (made unique by a suffix).</param>
/// <param name="Preprocess">Its preprocessing; null = the model's sidecar or built-in spec (<see cref="ImageSearchEngine.PreprocessFor"/>).</param>
/// <param name="OutputName">Output used as its embedding; null = the usual default.</param>
/// <param name="Pool">GeM pooling of the feature map <paramref name="OutputName"/>, or null.</param>
public sealed record EmbeddingSpace(string ModelPath, float Weight = 1f, string? Name = null, PreprocessSpec? Preprocess = null,
    string? OutputName = null, GemPooling? Pool = null)
{
    /// <summary>Checks every space and gives each a unique name (explicit names must already be unique).</summary>
    /// <exception cref="ArgumentException">No spaces, a bad weight, a bad or repeated name.</exception>
    internal static IReadOnlyList<EmbeddingSpace> Resolve(IReadOnlyList<EmbeddingSpace> spaces)
    {
        ArgumentNullException.ThrowIfNull(spaces);
        if (spaces.Count == 0) throw new ArgumentException("an index needs at least one embedding space", nameof(spaces));
        var taken = new HashSet<string>(spaces.Where(s => s.Name is not null).Select(s => s.Name!), StringComparer.Ordinal);
        if (taken.Count != spaces.Count(s => s.Name is not null))
            throw new ArgumentException("embedding space names must be unique", nameof(spaces));
        var result = new List<EmbeddingSpace>(spaces.Count);
        foreach (var s in spaces)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(s.ModelPath, nameof(spaces));
            if (!float.IsFinite(s.Weight) || s.Weight <= 0)
                throw new ArgumentException($"space weight must be finite and > 0, got {s.Weight.ToString(CultureInfo.InvariantCulture)} for {s.ModelPath}", nameof(spaces));
            var name = s.Name;
            if (name is null)
            {
                var stem = Path.GetFileNameWithoutExtension(s.ModelPath);
                name = stem;
                for (int i = 2; taken.Contains(name); i++) name = $"{stem}-{i}";
                taken.Add(name);
            }
            CheckName(name);
            result.Add(s with { Name = name, ModelPath = Path.GetFullPath(s.ModelPath) });
        }
        return result;
    }

    /// <summary>A name usable in <c>--space NAME=W</c> and JSON: letters, digits, <c>_ - .</c>, 1..64 characters.</summary>
    internal static void CheckName(string name)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            throw new ArgumentException($"space name '{name}' must be 1..64 of letters, digits, '_', '-', '.'", nameof(name));
    }
}
