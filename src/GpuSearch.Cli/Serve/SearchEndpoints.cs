// POST /search: an uploaded image (multipart field `image`), or JSON {"vector": [...]} or {"id": N} ("more like
// this"), with query options k, min_score and exclude_self, and an optional metadata filter (the JSON body's
// "filter", or the multipart form field `filter` holding the same JSON). Uploads are decoded on the request thread (many at
// once), then embedded and scanned through ImageSearcher (micro-batched unless turned off).
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class SearchEndpoints
{
    public static void Map(WebApplication app, ImageSearchEngine engine, ImageSearcher searcher, ServeOptions options)
    {
        app.MapPost("/search", async (HttpRequest request, CancellationToken ct) =>
        {
            var sw = Stopwatch.StartNew();
            var q = new QueryOptions(QueryArgs.Int(request, "k", 20, 1, options.MaxK), QueryArgs.Float(request, "min_score", -1f, -1f, 1f)) { Spaces = options.Spaces };
            var excludeSelf = QueryArgs.Bool(request, "exclude_self", true);
            IReadOnlyList<SearchHit> hits;
            if (request.HasJsonContentType())
            {
                var body = await JsonSerializer.DeserializeAsync<SearchRequestBody>(request.Body, ServeJson.Options, ct)
                    ?? throw new ApiException(400, "BadRequest", "the JSON body is empty");
                if ((body.Vector is null) == (body.Id is null))
                    throw new ApiException(400, "BadRequest", "the JSON body needs exactly one of \"vector\" and \"id\"");
                if (body.Filter is { ValueKind: not JsonValueKind.Null } f) q = q with { Filter = SearchFilter.Parse(f) };
                hits = body.Vector is { } v ? engine.SearchVector(v, q)
                    : engine.SearchById(body.Id!.Value, q, excludeSelf) ?? throw new ApiException(404, "NotFound", $"no item with id {body.Id}");
            }
            else
            {
                var bytes = await UploadReader.ReadImageAsync(request, options.MaxUploadBytes, ct);
                if (request.Form.TryGetValue("filter", out var f) && !string.IsNullOrWhiteSpace(f)) q = q with { Filter = SearchFilter.Parse(f.ToString()) };
                var image = await searcher.DecodeAsync(bytes, ct);
                hits = await searcher.SearchAsync(image, q, ct);
            }
            var results = hits.Select(h => SearchResult.From(h, engine.GetItem(h.Id))).ToArray();
            return Results.Json(new SearchResponse(results, Math.Round(sw.Elapsed.TotalMilliseconds, 3)), ServeJson.Options);
        })
        // One Accepts for both: routing matches on the last one's content types only.
        .Accepts<SearchRequestBody>("application/json", "multipart/form-data")
        .Produces<SearchResponse>()
        .Produces<ApiError>(400).Produces<ApiError>(413)
        .WithSummary("Nearest indexed images to an uploaded image, a vector, or an indexed item (k, min_score, exclude_self, filter)")
        .DisableAntiforgery();
    }
}
