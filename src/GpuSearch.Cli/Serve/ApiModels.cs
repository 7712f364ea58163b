// The shapes the API answers with (serialised snake_case by ServeJson). key and metadata are null until the
// engine stores caller keys and metadata.
using GpuSearch.Store;

namespace GpuSearch.Cli.Serve;

internal sealed record SearchResult(long Id, string? Key, string Path, float Score, object? Metadata);

internal sealed record SearchResponse(IReadOnlyList<SearchResult> Results, double TookMs);

internal sealed record ItemResponse(long Id, string? Key, string Path, long Size, DateTimeOffset Added, object? Metadata, string Image, string Thumb)
{
    public static ItemResponse From(StoredItem i) => new(i.Id, null, i.Path, i.Size, i.Added, null, $"/images/{i.Id}", $"/thumbs/{i.Id}");
}

internal sealed record ItemsPage(IReadOnlyList<ItemResponse> Items, long Offset, int Limit, long Total);

internal sealed record BatchingStats(bool Enabled, long Batches, long Requests);

internal sealed record StatsResponse(long Count, string Model, int Dimension, string Device, string Backend, bool ReadOnly, BatchingStats Batching);

internal sealed record HealthResponse(string Status);

internal sealed record AddedItem(long Id, string Path);

/// <summary>JSON body of POST /search: a vector, or the id of an indexed item ("more like this").</summary>
internal sealed record SearchRequestBody(float[]? Vector, long? Id);
