// One JSON convention for the whole API: snake_case names, so responses read {"took_ms": ..., "min_score": ...}.
using System.Text.Json;

namespace GpuSearch.Cli.Serve;

internal static class ServeJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        return o;
    }
}
