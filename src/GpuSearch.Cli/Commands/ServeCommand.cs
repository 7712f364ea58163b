// `gpusearch serve --db DB [--urls URL] [--api-key KEY] [--insecure] [--max-upload 32MB] [--device D] [--writable] [--space NAME[=W]]...`:
// the search API and web page on Kestrel (Serve/). Loopback by default; read-only beside writers unless --writable.
using System.CommandLine;
using System.Globalization;
using GpuSearch.Cli.Serve;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var db = CliCommon.Db();
        var urls = new Option<string>("--urls") { Description = "Where to listen (';'-separated); another host than loopback needs --api-key or --insecure", DefaultValueFactory = _ => ServeOptions.DefaultUrls };
        var apiKey = new Option<string?>("--api-key") { Description = "Every request must carry this key (X-Api-Key or Authorization: Bearer); default: $GPUSEARCH_API_KEY" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow a non-loopback bind without an API key" };
        var maxUpload = new Option<string>("--max-upload") { Description = "Largest upload (e.g. 32MB, 512KB); larger gets 413", DefaultValueFactory = _ => "32MB" };
        var writable = new Option<bool>("--writable") { Description = "Open the index for writing: POST /items and DELETE /items/{id}" };
        var noBatching = new Option<bool>("--no-batching") { Description = "Run each image search alone instead of micro-batching concurrent ones" };
        var maxDuplicateItems = new Option<long>("--max-duplicate-items") { Description = "GET /duplicates refuses (503) an index with more items (the all-pairs search is O(N²))", DefaultValueFactory = _ => new ServeOptions().MaxDuplicateItems };
        var batch = CliCommon.Batch();
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Console log level (Information logs every request)", DefaultValueFactory = _ => LogLevel.Warning };
        var device = CliCommon.Device();
        var spaces = SpaceOptions.Spaces();
        var cmd = new Command("serve", "Serve the index over HTTP: a search API and a web page") { db, urls, apiKey, insecure, maxUpload, writable, noBatching, maxDuplicateItems, batch, logLevel, device, spaces };
        SpaceOptions.ValidateAtParse(spaces);
        cmd.SetAction((r, ct) =>
        {
            var options = new ServeOptions
            {
                Urls = r.GetValue(urls)!,
                ApiKey = r.GetValue(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable("GPUSEARCH_API_KEY")),
                Insecure = r.GetValue(insecure),
                MaxUploadBytes = ParseSize(r.GetValue(maxUpload)!),
                Batching = !r.GetValue(noBatching),
                MaxDuplicateItems = r.GetValue(maxDuplicateItems) is >= 0 and var m ? m : throw new ArgumentException("--max-duplicate-items must be 0 or more"),
                LogLevel = r.GetValue(logLevel),
                Spaces = SpaceOptions.ParseSpaces(r.GetValue(spaces)),
            };
            var engine = new EngineOptions
            {
                Device = r.GetValue(device)!, BatchSize = r.GetValue(batch), CreateIfMissing = false, ReadOnly = !r.GetValue(writable),
            };
            return RunAsync(r.GetValue(db)!, engine, options, Console.Out, ct);
        });
        return cmd;
    }

    public static async Task<int> RunAsync(string db, EngineOptions engineOptions, ServeOptions options, TextWriter stdout, CancellationToken ct)
    {
        BindPolicy.Check(options); // a usage error before the model loads
        using var engine = ImageSearchEngine.Open(db, engineOptions);
        if (options.Spaces is not null) engine.WeightSpaces(new float[engine.Dimension], options.Spaces); // unknown space: refused before listening
        await using var host = await ServeHost.StartAsync(engine, options, ct);
        stdout.WriteLine($"gpusearch serve: {engine.Count} images in {engine.Folder} ({(engine.IsReadOnly ? "read-only" : "writable")}), " +
                         $"{engine.Device.Name}; listening on {string.Join(", ", host.Addresses)} (Ctrl+C stops)");
        try { await host.App.WaitForShutdownAsync(ct); }
        catch (OperationCanceledException) { }
        return ExitCodes.Ok;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>Parses 32MB, 512KB, 1GB, 1048576 (bytes); units are powers of 1024.</summary>
    internal static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant().Replace("IB", "B");
        long unit = t.EndsWith("GB") ? 1L << 30 : t.EndsWith("MB") ? 1L << 20 : t.EndsWith("KB") ? 1L << 10 : 1;
        var digits = unit == 1 ? t.TrimEnd('B') : t[..^2];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > (1L << 40) / unit)
            throw new ArgumentException($"--max-upload '{text}' is not a size such as 32MB, 512KB or 1048576");
        return n * unit;
    }
}
