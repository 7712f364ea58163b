// Builds the Kestrel host of `gpusearch serve`: limits (upload size, header and request timeouts), logging,
// the API-key check, JSON errors, the endpoints, the OpenAPI document and the embedded page.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Cli.Serve;

/// <summary>A running server: its app, the addresses Kestrel bound (port 0 resolved) and its image searcher.</summary>
internal sealed class ServeHost : IAsyncDisposable
{
    // Multipart framing around the file (boundaries, part headers) on top of the upload limit.
    private const long FormOverheadBytes = 64 << 10;

    public required WebApplication App { get; init; }
    public required ImageSearcher Searcher { get; init; }
    public required DuplicateGroups Duplicates { get; init; }
    public IReadOnlyList<string> Addresses => App.Urls.ToArray();

    /// <summary>Checks the bind policy, builds the host around an open engine and starts listening.</summary>
    public static async Task<ServeHost> StartAsync(ImageSearchEngine engine, ServeOptions options, CancellationToken ct = default)
    {
        BindPolicy.Check(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes + FormOverheadBytes;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxUploadBytes + FormOverheadBytes);
        builder.Services.ConfigureHttpJsonOptions(j => ServeJson.Configure(j.SerializerOptions));
        builder.Services.AddRequestTimeouts(t => t.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = ctx => ApiError.Write(ctx, StatusCodes.Status504GatewayTimeout, $"the request took longer than {options.RequestTimeout.TotalSeconds:0.###} s", "Timeout", ignoreAbort: true),
        });
        builder.Services.AddOpenApi();

        var app = builder.Build();
        var searcher = new ImageSearcher(engine, options);
        var duplicates = new DuplicateGroups(engine, options.MaxDuplicateItems, options.Spaces);
        app.UseMiddleware<RequestLog>();
        app.UseMiddleware<ErrorResponses>();
        // Routing's own refusals (no such route 404, wrong method 405, wrong content type 415) get a JSON body too.
        app.UseStatusCodePages(ctx => ApiError.Write(ctx.HttpContext, ctx.HttpContext.Response.StatusCode,
            $"{ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path} is refused ({ctx.HttpContext.Response.StatusCode})", ReasonOf(ctx.HttpContext.Response.StatusCode)));
        if (options.ApiKey is { } key) app.UseMiddleware<ApiKeyCheck>(System.Text.Encoding.UTF8.GetBytes(key));
        app.UseRequestTimeouts();
        app.Use((ctx, next) => { ctx.Response.Headers.XContentTypeOptions = "nosniff"; return next(ctx); });

        SearchEndpoints.Map(app, engine, searcher, options);
        ItemEndpoints.Map(app, engine, options, duplicates);
        DuplicateEndpoints.Map(app, duplicates);
        ImageEndpoints.Map(app, engine, new ThumbnailCache(options.ThumbnailCacheBytes, options.ThumbnailSide));
        InfoEndpoints.Map(app, engine, searcher);
        app.MapOpenApi("/openapi.json");
        PageAssets.Map(app);

        try { await app.StartAsync(ct); }
        catch { await searcher.DisposeAsync(); await app.DisposeAsync(); throw; }
        return new ServeHost { App = app, Searcher = searcher, Duplicates = duplicates };
    }

    private static string ReasonOf(int status) => status switch
    {
        404 => "NotFound", 405 => "MethodNotAllowed", 415 => "UnsupportedMediaType", 401 => "Unauthorized", _ => "Refused",
    };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await Searcher.DisposeAsync();
        await App.DisposeAsync();
    }
}
