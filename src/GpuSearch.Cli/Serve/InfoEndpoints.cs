// GET /health and GET /stats: liveness, and what the server holds (count, model, device, batching counters).
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class InfoEndpoints
{
    public static void Map(WebApplication app, ImageSearchEngine engine, ImageSearcher searcher)
    {
        app.MapGet("/health", () => Results.Json(new HealthResponse("ok"), ServeJson.Options))
            .Produces<HealthResponse>().WithSummary("Liveness");
        app.MapGet("/stats", () => Results.Json(new StatsResponse(engine.Count, Path.GetFileName(engine.ModelPath), engine.Dimension,
                engine.Device.Name, engine.Device.Backend.ToString(), engine.IsReadOnly,
                new BatchingStats(searcher.Batching, searcher.Batches, searcher.Requests)), ServeJson.Options))
            .Produces<StatsResponse>().WithSummary("Item count, model, device, batching counters");
    }
}
