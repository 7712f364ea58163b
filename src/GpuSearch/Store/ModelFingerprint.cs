// Identifies the model that produced an index's vectors. Vectors from different models (or the same
// weights with different preprocessing) are not comparable, so an index refuses a mismatching one.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GpuSearch.Store;

/// <summary>What made the vectors: model bytes, preprocessing, output tensor, dtype and width.</summary>
/// <param name="ModelSha256">SHA-256 (hex) of the model file.</param>
/// <param name="PreprocessingJson">Preprocessing spec as JSON (resize, crop, mean/std, layout...); stored canonicalized.</param>
/// <param name="OutputName">Name of the model output the embedding is read from.</param>
/// <param name="DType">Element type the model emits, e.g. <c>float32</c>.</param>
/// <param name="Dim">Embedding width.</param>
public sealed record ModelFingerprint(string ModelSha256, string PreprocessingJson, string OutputName, string DType, int Dim)
{
    /// <summary>Lower-case hex model hash.</summary>
    public string ModelSha256 { get; init; } = ModelSha256.Trim().ToLowerInvariant();

    /// <summary>Preprocessing spec with object keys sorted and no whitespace, so equal specs compare equal.</summary>
    public string PreprocessingJson { get; init; } = CanonicalJson.Normalize(PreprocessingJson);

    /// <summary>
    /// The canonical form: one JSON object with keys in a fixed order. Two fingerprints are the same
    /// model exactly when their canonical strings are equal.
    /// </summary>
    public string Canonical
    {
        get
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteNumber("dim", Dim);
                w.WriteString("dtype", DType);
                w.WriteString("model_sha256", ModelSha256);
                w.WriteString("output", OutputName);
                w.WritePropertyName("preprocessing");
                w.WriteRawValue(PreprocessingJson, skipInputValidation: true);
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(ms.ToArray());
        }
    }

    /// <summary>SHA-256 (hex) of <see cref="Canonical"/>: a short id for logs and file names.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)));

    /// <summary>Builds a fingerprint from a model file on disk (hashing its bytes).</summary>
    public static ModelFingerprint ForModelFile(string modelPath, string preprocessingJson, string outputName, string dtype, int dim)
    {
        using var fs = File.OpenRead(modelPath);
        return new ModelFingerprint(Convert.ToHexStringLower(SHA256.HashData(fs)), preprocessingJson, outputName, dtype, dim);
    }

    /// <summary>Parses a canonical (or any equivalent) JSON form back into a fingerprint.</summary>
    /// <exception cref="InvalidDataException">The JSON lacks a field or has the wrong type.</exception>
    public static ModelFingerprint Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new ModelFingerprint(
                r.GetProperty("model_sha256").GetString()!,
                r.GetProperty("preprocessing").GetRawText(),
                r.GetProperty("output").GetString()!,
                r.GetProperty("dtype").GetString()!,
                r.GetProperty("dim").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"model fingerprint JSON is not valid: {e.Message} (text: {json})", e);
        }
    }

    /// <summary>One line per field that differs, e.g. <c>dim: this 512, other 768</c>; nested preprocessing keys by path.</summary>
    public IReadOnlyList<string> Differences(ModelFingerprint other, string thisName = "this", string otherName = "other")
    {
        var d = new List<string>();
        void Cmp(string field, string a, string b)
        {
            if (a != b) d.Add($"{field}: {thisName} {a}, {otherName} {b}");
        }
        Cmp("model_sha256", ModelSha256, other.ModelSha256);
        Cmp("output", OutputName, other.OutputName);
        Cmp("dtype", DType, other.DType);
        Cmp("dim", Dim.ToString(System.Globalization.CultureInfo.InvariantCulture), other.Dim.ToString(System.Globalization.CultureInfo.InvariantCulture));
        CanonicalJson.Diff("preprocessing", PreprocessingJson, other.PreprocessingJson, thisName, otherName, d);
        return d;
    }

    /// <summary>Multi-line human-readable summary.</summary>
    public string Describe() =>
        $"model sha256 {ModelSha256}, output '{OutputName}', {DType} × {Dim}, preprocessing {PreprocessingJson} (fingerprint {Hash[..16]})";
}
