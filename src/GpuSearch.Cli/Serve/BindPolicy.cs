// Loopback by default: binding anywhere reachable from another machine needs an API key, or the operator saying
// --insecure out loud. Checked before anything opens, so a mistake costs nothing.
using System.Net;

namespace GpuSearch.Cli.Serve;

internal static class BindPolicy
{
    /// <summary>Throws <see cref="ArgumentException"/> (a usage error) for a bad URL or an unprotected non-loopback bind.</summary>
    public static void Check(ServeOptions options)
    {
        var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0) throw new ArgumentException("--urls names no URL");
        if (options.ApiKey is { Length: < 16 }) throw new ArgumentException("--api-key must be at least 16 characters");
        foreach (var url in urls)
        {
            // Kestrel's wildcards (*, +) are not valid URI hosts; they bind every interface.
            var host = url.Contains("://*") || url.Contains("://+") ? "*" : Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u.Host : null;
            if (host is null) throw new ArgumentException($"--urls: '{url}' is not an http:// or https:// URL");
            if (!IsLoopback(host) && options.ApiKey is null && !options.Insecure)
                throw new ArgumentException($"--urls {url} is reachable from other machines: pass --api-key KEY (or --insecure to serve without one)");
        }
    }

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
