// Query-string options parsed by hand, so a bad value is a JSON 400 naming the parameter rather than the
// framework's empty 400.
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class QueryArgs
{
    public static int Int(HttpRequest r, string name, int fallback, int min, int max)
    {
        if (!r.Query.TryGetValue(name, out var s) || string.IsNullOrEmpty(s)) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw Bad($"{name} must be an integer from {min} to {max}, got '{s}'");
        return v;
    }

    public static long Long(HttpRequest r, string name, long fallback, long min)
    {
        if (!r.Query.TryGetValue(name, out var s) || string.IsNullOrEmpty(s)) return fallback;
        if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
            throw Bad($"{name} must be an integer of at least {min}, got '{s}'");
        return v;
    }

    public static float Float(HttpRequest r, string name, float fallback, float min, float max)
    {
        if (!r.Query.TryGetValue(name, out var s) || string.IsNullOrEmpty(s)) return fallback;
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v) || v < min || v > max)
            throw Bad($"{name} must be a number from {min} to {max}, got '{s}'");
        return v;
    }

    public static bool Bool(HttpRequest r, string name, bool fallback)
    {
        if (!r.Query.TryGetValue(name, out var s) || string.IsNullOrEmpty(s)) return fallback;
        return s.ToString().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw Bad($"{name} must be true or false, got '{s}'"),
        };
    }

    private static ApiException Bad(string message) => new(400, "BadRequest", message);
}
