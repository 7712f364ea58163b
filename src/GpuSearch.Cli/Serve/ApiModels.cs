// The shapes the API answers with (serialised snake_case by ServeJson). key and metadata are the caller's key and
// metadata JSON object from the catalog, null for items indexed by path without them.
using System.Text.Json;
using GpuSearch.Store;

namespace GpuSearch.Cli.Serve;

internal sealed record SearchResult(long Id, string? Key, string Path, float Score, JsonElement? Metadata)
{
    /// <summary>A hit with the key and metadata of its item (null when the item went away since the scan).</summary>
    public static SearchResult From(SearchHit h, StoredItem? item) => new(h.Id, item?.Key, h.Path, h.Score, MetadataOf(item));

    /// <summary>The stored metadata as JSON (it was checked to be an object when stored), or null.</summary>
    public static JsonElement? MetadataOf(StoredItem? item) =>
        item?.LabelsJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null;
}

internal sealed record SearchResponse(IReadOnlyList<SearchResult> Results, double TookMs);

internal sealed record ItemResponse(long Id, string? Key, string Path, long Size, DateTimeOffset Added, JsonElement? Metadata, string Image, string Thumb)
{
    public static ItemResponse From(StoredItem i) => new(i.Id, i.Key, i.Path, i.Size, i.Added, SearchResult.MetadataOf(i), $"/images/{i.Id}", $"/thumbs/{i.Id}");
}

internal sealed record ItemsPage(IReadOnlyList<ItemResponse> Items, long Offset, int Limit, long Total);

internal sealed record BatchingStats(bool Enabled, long Batches, long Requests);

internal sealed record StatsResponse(long Count, string Model, int Dimension, string Device, string Backend, bool ReadOnly, BatchingStats Batching);

internal sealed record HealthResponse(string Status);

internal sealed record AddedItem(long Id, string Path);

/// <summary>JSON body of POST /search: a vector, or the id of an indexed item ("more like this"), and an optional
/// metadata filter (<see cref="SearchFilter.Parse(JsonElement)"/>).</summary>
internal sealed record SearchRequestBody(float[]? Vector, long? Id, JsonElement? Filter = null);
