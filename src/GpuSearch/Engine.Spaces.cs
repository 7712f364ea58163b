// Multi-backbone ensembles and named embedding spaces. An index is made by one or more spaces (EmbeddingSpace): each
// image is decoded and uploaded once and embedded by every space's model in the same device pass; the stored vector
// concatenates the weighted, L2-normalised segments. A query can weight the spaces itself (one space alone, or any
// mix) by scaling its own segments: exact, one scan, no second copy of the vectors.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>The embedding spaces whose segments make up each vector, in order (one for a single model), with their weights.</summary>
    public IReadOnlyList<EmbeddingSpace> Spaces => _embedder.Spaces;

    /// <summary>The vector layout, e.g. <c>resnet18[0..512) w=1, mobilenet[512..1792) w=0.5</c>.</summary>
    public string SpaceLayoutDescription => _embedder.Layout.Describe();

    /// <summary>
    /// The spaces an index is opened with: <see cref="EngineOptions.Spaces"/>, else the index's saved ones (unless a
    /// model is given), else null (a single model, resolved as before). Each space gets its preprocessing here.
    /// </summary>
    private static IReadOnlyList<EmbeddingSpace>? ResolveSpaces(EngineOptions options, EngineConfig? saved)
    {
        var given = options.Spaces;
        if (given is not null && (options.ModelPath is not null || options.OutputName is not null || options.Pool is not null))
            throw new ArgumentException("EngineOptions.Spaces names every model with its output and pooling; leave ModelPath, OutputName and Pool unset", nameof(options));
        var spaces = given ?? (options.ModelPath is null && options.OutputName is null && options.Pool is null ? saved?.Spaces : null);
        if (spaces is null) return null;
        var resolved = EmbeddingSpace.Resolve(spaces);
        foreach (var s in resolved)
            if (!File.Exists(s.ModelPath)) throw new FileNotFoundException($"Model not found: {s.ModelPath}", s.ModelPath);
        // EngineOptions.Preprocess is the default for spaces that bring none of their own.
        return resolved.Select(s => s.Preprocess is null ? s with { Preprocess = options.Preprocess ?? PreprocessFor(s.ModelPath) } : s).ToArray();
    }

    /// <summary>
    /// The fingerprint of an ensemble: every model's bytes, preprocessing, output, name and weight, in order, so an index
    /// refuses another set, order or weighting (a single space keeps the single-model fingerprint).
    /// </summary>
    private static ModelFingerprint EnsembleFingerprint(ImageEmbedder embedder, bool flipTta)
    {
        var hashes = new StringBuilder();
        var pre = new JsonObject();
        var parts = new List<string>();
        for (int m = 0; m < embedder.Spaces.Count; m++)
        {
            var s = embedder.Spaces[m];
            using (var fs = File.OpenRead(s.ModelPath)) hashes.Append(Convert.ToHexStringLower(SHA256.HashData(fs))).Append('\n');
            pre[s.Name!] = JsonNode.Parse(PreprocessSpecJson.Write(s.Preprocess!));
            parts.Add($"{s.Name}={embedder.EmbeddingSourceOf(m)}*{s.Weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
        }
        var source = $"ensemble({string.Join("; ", parts)})" + (flipTta ? "+flip-tta" : "");
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashes.ToString())));
        return new ModelFingerprint(sha, pre.ToJsonString(), source, "float32", embedder.Dimension);
    }

    /// <summary>
    /// Re-weights query embeddings (Q × <see cref="Dimension"/>, as <see cref="Embed"/> or <see cref="EmbedDecoded"/> return
    /// them) by embedding space for <see cref="Search(ReadOnlySpan{float}, int)"/> or
    /// <see cref="Search(ReadOnlySpan{float}, IReadOnlyList{QueryOptions})"/>: their scores then are Σ u_m·cos_m / Σu over
    /// the spaces, u = <paramref name="spaces"/> by name (spaces not named count 0; <c>{"shape": 1}</c> searches by that
    /// space alone). Exact, and still one scan: only the query's segments are scaled.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong length, an unknown space, a negative or non-finite weight, or all weights 0.</exception>
    /// <exception cref="InvalidOperationException">The index is whitened (whitening mixes the spaces).</exception>
    public float[] WeightSpaces(ReadOnlySpan<float> embeddings, IReadOnlyDictionary<string, float> spaces)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(spaces);
        if (embeddings.Length == 0 || embeddings.Length % Dimension != 0)
            throw new ArgumentException($"embeddings must hold Q × {Dimension} floats, got {embeddings.Length}", nameof(embeddings));
        lock (_indexLock) return WeightSpaces(embeddings.ToArray(), spaces);
    }

    /// <summary>
    /// Query rows (in the stored layout) re-weighted by space: afterwards their score against a stored vector is
    /// Σ u_m·cos_m / Σu with u = <paramref name="spaces"/> (unnamed spaces 0). Null leaves them as they are.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown space or bad weight.</exception>
    /// <exception cref="InvalidOperationException">The index is whitened: whitening mixes the segments, so spaces cannot be separated.</exception>
    private float[] WeightSpaces(float[] queries, IReadOnlyDictionary<string, float>? spaces)
    {
        if (spaces is null) return queries;
        if (_whitening is not null)
            throw new InvalidOperationException("per-query space weights need the raw segments, but this index is whitened (gpusearch whiten --remove to search by space)");
        var factors = _embedder.Layout.QueryFactors(spaces);
        var weighted = (float[])queries.Clone();
        _embedder.Layout.ApplyQueryFactors(weighted, factors);
        return weighted;
    }
}
