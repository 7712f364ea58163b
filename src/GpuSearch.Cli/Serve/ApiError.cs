// Every error the API answers is one small JSON object, {"error": message, "reason": code}; never a stack trace.
// ErrorResponses maps what the handlers throw onto a status code and that object.
using System.Text.Json;
using GpuSearch.Imaging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Cli.Serve;

/// <summary>The body of every error response.</summary>
internal sealed record ApiError(string Error, string Reason)
{
    /// <param name="ignoreAbort">Write even though RequestAborted is cancelled (the request-timeout answer: the timeout cancels that token).</param>
    public static Task Write(HttpContext ctx, int status, string message, string reason, bool ignoreAbort = false)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(new ApiError(message, reason), ServeJson.Options), ignoreAbort ? CancellationToken.None : ctx.RequestAborted);
    }
}

/// <summary>Thrown by handlers for a request that is wrong in a way the client can fix.</summary>
internal sealed class ApiException(int status, string reason, string message) : Exception(message)
{
    public int Status => status;
    public string Reason => reason;
}

internal sealed class ErrorResponses(RequestDelegate next, ILogger<ErrorResponses> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try { await next(ctx); }
        catch (Exception e) when (!ctx.Response.HasStarted && Map(e) is { } m)
        {
            if (m.Status >= 500) log.LogError(e, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            else log.LogInformation("{Method} {Path} refused {Status} {Reason}: {Message}", ctx.Request.Method, ctx.Request.Path, m.Status, m.Reason, m.Message);
            await ApiError.Write(ctx, m.Status, m.Message, m.Reason);
        }
    }

    private static (int Status, string Reason, string Message)? Map(Exception e) => e switch
    {
        // Cancellations belong to the request-timeout middleware (504) or to a client that went away.
        OperationCanceledException => null,
        ApiException a => (a.Status, a.Reason, a.Message),
        ImageDecodeException d => (400, d.Reason.ToString(), $"the upload is not a usable image: {d.Reason}: {d.Detail}"),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode == 413 ? "TooLarge" : "BadRequest", b.Message),
        // Form reading throws this when a multipart section passes a limit.
        InvalidDataException i when i.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) => (413, "TooLarge", i.Message),
        InvalidDataException or JsonException or FormatException => (400, "BadRequest", e.Message),
        ArgumentException a => (400, "BadRequest", a.Message),
        InvalidOperationException when e.Message.Contains("read-only", StringComparison.Ordinal) => (403, "ReadOnly", "the server opened the index read-only; start it with --writable"),
        _ => (500, "Internal", "internal error (see the server log)"),
    };
}
