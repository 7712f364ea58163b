// `gpusearch query IMAGES --db DB -k 20 [--format table|csv|json|html]`: bulk queries against an index.
// html writes an offline contact sheet: each query's thumbnail beside its top-k thumbnails with scores.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

internal static class QueryCommand
{
    public static Command Create()
    {
        var inputs = CliCommon.Inputs("Query images");
        var db = CliCommon.Db();
        var k = new Option<int>("-k") { Description = "Neighbours per query", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var format = new Option<string>("--format") { Description = "table, csv, json or html", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json", "html");
        var outFile = new Option<string?>("--out") { Description = "Write to this file instead of stdout (html: default results.html)" };
        var batch = CliCommon.Batch();
        var device = CliCommon.Device();
        var refine = new RefinementOptions();
        var cmd = new Command("query", "Find the most similar indexed images for each query image") { inputs, db, k, format, outFile, batch, device };
        refine.AddTo(cmd);
        cmd.SetAction((r, ct) => RunAsync(r.GetValue(inputs)!, r.GetValue(db)!, r.GetValue(k), r.GetValue(format)!, r.GetValue(outFile),
            new EngineOptions { Device = r.GetValue(device)!, BatchSize = r.GetValue(batch), CreateIfMissing = false }, Console.Out, ct, refine.Read(r)));
        return cmd;
    }

    public static async Task<int> RunAsync(string[] inputs, string db, int k, string format, string? outFile, EngineOptions options,
        TextWriter stdout, CancellationToken ct, QueryRefinementArgs? refine = null)
    {
        if (k <= 0) throw new ArgumentException($"-k must be at least 1 (got {k})");
        // Read-only: a query never changes the index (no recovery, no lock), and works on read-only media.
        using var engine = ImageSearchEngine.Open(db, options with { ReadOnly = true, CreateIfMissing = false });
        var outcomes = new List<QueryOutcome>();
        var refinement = refine?.Build(engine) ?? new QueryRefinement();
        using (refinement.Background)
            await foreach (var o in engine.QueryImagesRefinedAsync(inputs, k, refinement, ct)) outcomes.Add(o);
        if (format == "html") outFile ??= "results.html";
        using var file = outFile is null ? null : new StreamWriter(outFile);
        var w = file ?? stdout;
        switch (format)
        {
            case "csv":
                w.WriteLine("query,rank,id,score,path,error");
                foreach (var o in outcomes)
                {
                    if (o.Failure is { } f) w.WriteLine($"{CliCommon.Csv(o.QueryPath)},,,,,{CliCommon.Csv(f.Reason + ": " + f.Message)}");
                    for (int i = 0; i < o.Hits.Count; i++)
                        w.WriteLine($"{CliCommon.Csv(o.QueryPath)},{i + 1},{o.Hits[i].Id},{o.Hits[i].Score.ToString("R", CultureInfo.InvariantCulture)},{CliCommon.Csv(o.Hits[i].Path)},");
                }
                break;
            case "json":
                w.WriteLine(JsonSerializer.Serialize(outcomes.Select(o => new
                {
                    query = o.QueryPath,
                    hits = o.Hits.Select((h, i) => new { rank = i + 1, id = h.Id, score = h.Score, path = h.Path }),
                    error = o.Failure is null ? null : new { reason = o.Failure.Reason, message = o.Failure.Message },
                }), new JsonSerializerOptions { WriteIndented = true }));
                break;
            case "html":
                ContactSheet.Write(w, $"gpusearch: {outcomes.Count} queries against {engine.Folder} (k={k})", Sheet(outcomes));
                break;
            default:
                var console = CliCommon.Console(w);
                foreach (var o in outcomes)
                {
                    if (o.Failure is { } f) { console.MarkupLine($"[red]{Markup.Escape(o.QueryPath)}: {Markup.Escape(f.Reason)}: {Markup.Escape(f.Message)}[/]"); continue; }
                    var t = new Table().Title(Markup.Escape(o.QueryPath)).AddColumns("rank", "score", "id", "path");
                    for (int i = 0; i < o.Hits.Count; i++) t.AddRow((i + 1).ToString(), o.Hits[i].Score.ToString("F4", CultureInfo.InvariantCulture), o.Hits[i].Id.ToString(), Markup.Escape(o.Hits[i].Path));
                    console.Write(t);
                }
                break;
        }
        if (outFile is not null) Console.Error.WriteLine($"wrote {outcomes.Count} queries to {Path.GetFullPath(outFile)}");
        return outcomes.Any(o => o.Failure is not null) && outcomes.All(o => o.Failure is not null) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    /// <summary>A thumbnail loader (128 px, cached by path) that gives null for a file it cannot read.</summary>
    internal static Func<string, RgbImage?> CachedThumbnails()
    {
        var cache = new Dictionary<string, RgbImage?>(StringComparer.Ordinal);
        return path =>
        {
            if (cache.TryGetValue(path, out var t)) return t;
            try
            {
                var img = ImageDecoder.DecodeFile(path, new DecodeOptions { MinTargetSize = (128, 128) });
                t = Thumbnail.Fit(img.PixelArray, img.Width, img.Height, 128);
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException) { t = null; }
            return cache[path] = t;
        };
    }

    private static IEnumerable<SheetRow> Sheet(IReadOnlyList<QueryOutcome> outcomes)
    {
        var thumb = CachedThumbnails();
        foreach (var o in outcomes)
            yield return new SheetRow(o.QueryPath, thumb(o.QueryPath),
                o.Hits.Select(h => new SheetNeighbour(h.Id, h.Path, h.Score, thumb(h.Path))).ToArray(),
                o.Failure is null ? null : $"{o.Failure.Reason}: {o.Failure.Message}");
    }
}
