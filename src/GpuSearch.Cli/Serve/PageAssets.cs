// The web page's files (index.html, app.js, app.css) are embedded in the assembly, so the page works offline and
// with no files beside the binary. Served with a strict Content-Security-Policy: same-origin scripts only.
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class PageAssets
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = ("serve/index.html", "text/html; charset=utf-8"),
        ["/app.js"] = ("serve/app.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("serve/app.css", "text/css; charset=utf-8"),
    };

    public static bool IsPageAsset(PathString path) => Files.ContainsKey(path.Value ?? "");

    public static void Map(WebApplication app)
    {
        foreach (var (route, (resource, type)) in Files)
        {
            var bytes = Load(resource);
            app.MapGet(route, (HttpContext ctx) =>
            {
                ctx.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'";
                ctx.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, type);
            }).ExcludeFromDescription();
        }
    }

    private static byte[] Load(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded page file {name} is missing from the build");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
