// Limits on what a caller may store beside a vector: its key and its metadata (labels) JSON. Checked before
// anything is decoded or written, so a bad request costs nothing and the catalog only ever holds valid values.
using System.Text.Json;

namespace GpuSearch.Store;

/// <summary>Rules for caller keys and metadata JSON (checked by <see cref="IndexStore.Add(IReadOnlyList{ItemToAdd})"/> and the engine).</summary>
internal static class ItemKeys
{
    /// <summary>Longest key, in UTF-16 characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Largest metadata JSON, in UTF-16 characters.</summary>
    public const int MaxMetadataChars = 64 * 1024;

    /// <summary>Deepest nesting of metadata JSON (the top-level object counts as 1).</summary>
    public const int MaxMetadataDepth = 16;

    /// <summary>Throws unless <paramref name="key"/> is 1..<see cref="MaxKeyLength"/> characters without control characters.</summary>
    /// <exception cref="ArgumentException">The key is empty, too long or holds a control character.</exception>
    public static void CheckKey(string? key)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("the key is empty; give each item a non-empty key", nameof(key));
        if (key.Length > MaxKeyLength) throw new ArgumentException($"the key is {key.Length} characters long; at most {MaxKeyLength} are allowed", nameof(key));
        if (key.Any(char.IsControl)) throw new ArgumentException("the key holds a control character", nameof(key));
    }

    /// <summary>Throws unless <paramref name="json"/> is null or a JSON object within the size and depth limits.</summary>
    /// <param name="json">The metadata (labels) JSON.</param>
    /// <param name="owner">The item's key or path, named in the message.</param>
    /// <exception cref="ArgumentException">Not JSON, not an object, too large or too deep.</exception>
    public static void CheckMetadata(string? json, string owner)
    {
        if (json is null) return;
        if (json.Length > MaxMetadataChars)
            throw new ArgumentException($"metadata (labels) for {owner} is {json.Length} characters; at most {MaxMetadataChars} are allowed");
        try
        {
            using var d = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxMetadataDepth });
            if (d.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"labels for {owner} must be a JSON object, got {d.RootElement.ValueKind}");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"labels for {owner} are not valid JSON (objects nest at most {MaxMetadataDepth} deep): {e.Message}", e);
        }
    }
}
