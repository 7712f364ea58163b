// One structured log event per request (method, path, status, milliseconds) at Information, so it is silent at the
// default Warning level and appears with --log-level Information.
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Cli.Serve;

internal sealed class RequestLog(RequestDelegate next, ILogger<RequestLog> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var sw = Stopwatch.StartNew();
        try { await next(ctx); }
        finally
        {
            log.LogInformation("{Method} {Path} {Status} {ElapsedMs:0.0} ms", ctx.Request.Method, ctx.Request.Path, ctx.Response.StatusCode, sw.Elapsed.TotalMilliseconds);
        }
    }
}
