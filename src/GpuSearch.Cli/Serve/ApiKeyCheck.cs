// With an API key set, every API request must carry it, as `X-Api-Key: KEY` or `Authorization: Bearer KEY`.
// The page's own files (/, /app.js, /app.css) hold no data and are served without it, so a browser can load the
// page and then send the key the user types with each request. Compared in constant time.
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal sealed class ApiKeyCheck(RequestDelegate next, byte[] key)
{
    public const string Header = "X-Api-Key";

    public Task InvokeAsync(HttpContext ctx)
    {
        if (PageAssets.IsPageAsset(ctx.Request.Path) || Matches(Presented(ctx.Request))) return next(ctx);
        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiError.Write(ctx, StatusCodes.Status401Unauthorized, "an API key is required (X-Api-Key header or Authorization: Bearer)", "Unauthorized");
    }

    private static string? Presented(HttpRequest r)
    {
        if (r.Headers.TryGetValue(Header, out var k) && k.Count == 1) return k[0];
        var auth = r.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    private bool Matches(string? presented)
    {
        if (presented is null) return false;
        var p = Encoding.UTF8.GetBytes(presented);
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(p), SHA256.HashData(key));
    }
}
