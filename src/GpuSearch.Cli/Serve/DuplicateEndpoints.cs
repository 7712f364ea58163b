// GET /duplicates?threshold=0.9: groups of near-duplicate images in the index (see DuplicateGroups for the
// caching and the bounds).
using GpuSearch.Dedup;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class DuplicateEndpoints
{
    public static void Map(WebApplication app, DuplicateGroups duplicates)
    {
        app.MapGet("/duplicates", async (HttpRequest request, CancellationToken ct) =>
        {
            var threshold = QueryArgs.Float(request, "threshold", new DedupOptions().Threshold, DuplicateGroups.MinThreshold, DuplicateGroups.MaxThreshold);
            return Results.Json(await duplicates.GetAsync(threshold, ct), ServeJson.Options);
        }).Produces<DuplicatesResponse>().Produces<ApiError>(400).Produces<ApiError>(503)
          .WithSummary("Groups of near-duplicate images (cosine above threshold, 0.5–1; computed once per threshold while the index is unchanged)");
    }
}
