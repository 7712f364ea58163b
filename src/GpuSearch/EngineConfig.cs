// engine.json in an index folder: which model file, output and preprocessing made the vectors, so a later
// `gpusearch query --db DB` needs no --model. The store's fingerprint is what guards consistency; this file
// only says where to find the model.
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Models;

namespace GpuSearch;

internal sealed record EngineConfig(string ModelPath, string OutputName, PreprocessSpec Preprocess, bool FlipTta = false, GemPooling? Pool = null,
    IReadOnlyList<EmbeddingSpace>? Spaces = null)
{
    public const string FileName = "engine.json";

    public static EngineConfig? TryRead(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            return new EngineConfig(
                root["model"]!.GetValue<string>(),
                root["output"]!.GetValue<string>(),
                PreprocessSpecJson.Read(root["preprocess"]!.ToJsonString()),
                root["flip_tta"]?.GetValue<bool>() ?? false,
                root["pool"] is { } pool ? GemPooling.Parse(pool.GetValue<string>()) : null,
                root["spaces"] is JsonArray spaces ? spaces.Select(ReadSpace).ToArray() : null);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is damaged ({e.Message}); pass --model and --preprocess to override it", e);
        }
    }

    // An ensemble's spaces, in order; the single-model fields above then describe the first, for older readers.
    private static EmbeddingSpace ReadSpace(JsonNode? node)
    {
        var o = node!.AsObject();
        return new EmbeddingSpace(o["model"]!.GetValue<string>(), o["weight"]!.GetValue<float>(), o["name"]!.GetValue<string>(),
            PreprocessSpecJson.Read(o["preprocess"]!.ToJsonString()), o["output"]?.GetValue<string>(),
            o["pool"] is { } pool ? GemPooling.Parse(pool.GetValue<string>()) : null);
    }

    private static JsonNode WriteSpace(EmbeddingSpace s)
    {
        var o = new JsonObject
        {
            ["name"] = s.Name, ["model"] = s.ModelPath, ["weight"] = s.Weight,
            ["preprocess"] = JsonNode.Parse(PreprocessSpecJson.Write(s.Preprocess!)),
        };
        if (s.OutputName is not null) o["output"] = s.OutputName;
        if (s.Pool is not null) o["pool"] = s.Pool.ToString();
        return o;
    }

    public void Write(string folder)
    {
        var root = new JsonObject
        {
            ["model"] = ModelPath,
            ["output"] = OutputName,
            ["preprocess"] = JsonNode.Parse(PreprocessSpecJson.Write(Preprocess)),
        };
        if (FlipTta) root["flip_tta"] = true;
        if (Pool is not null) root["pool"] = Pool.ToString();
        if (Spaces is not null) root["spaces"] = new JsonArray(Spaces.Select(WriteSpace).ToArray());
        var path = Path.Combine(folder, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }
}
