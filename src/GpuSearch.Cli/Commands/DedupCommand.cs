// `gpusearch dedup DB [--threshold T] [--format table|csv|json|html] [--out FILE] [--space NAME[=W]]...`: near-duplicate
// pairs and groups of an index (identical files by content hash, then all pairs above the cosine threshold, searched
// on the device in tiles, by the weighted embedding spaces with --space). html shows each group side by side on an
// offline contact sheet.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuSearch.Dedup;
using GpuSearch.Reports;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

internal static class DedupCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var threshold = new Option<float>("--threshold") { Description = "Cosine similarity above which two images are duplicates", DefaultValueFactory = _ => new DedupOptions().Threshold };
        var format = new Option<string>("--format") { Description = "table, csv (pairs), json or html (groups side by side)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json", "html");
        var outFile = new Option<string?>("--out") { Description = "Write to this file instead of stdout (html: default duplicates.html)" };
        var device = CliCommon.Device();
        var spaces = SpaceOptions.Spaces();
        var cmd = new Command("dedup", "Find near-duplicate images in an index: pairs and groups") { db, threshold, format, outFile, device, spaces };
        SpaceOptions.ValidateAtParse(spaces);
        cmd.SetAction((r, _) => Task.FromResult(Run(r.GetValue(db)!, r.GetValue(threshold), r.GetValue(format)!, r.GetValue(outFile), r.GetValue(device)!, Console.Out,
            SpaceOptions.ParseSpaces(r.GetValue(spaces)))));
        return cmd;
    }

    public static int Run(string db, float threshold, string format, string? outFile, string device, TextWriter stdout,
        IReadOnlyDictionary<string, float>? spaces = null)
    {
        if (!float.IsFinite(threshold) || threshold < -1 || threshold > 1)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "--threshold must be a cosine similarity in [-1, 1]");
        using var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = device, CreateIfMissing = false });
        var report = engine.FindDuplicates(new DedupOptions { Threshold = threshold, Spaces = spaces });
        var paths = engine.Items().ToDictionary(i => i.Id, i => i.Path);
        if (format == "html") outFile ??= "duplicates.html";
        using var file = outFile is null ? null : new StreamWriter(outFile);
        var w = file ?? stdout;
        var groupOf = new Dictionary<long, int>();
        for (int g = 0; g < report.Groups.Count; g++) foreach (var id in report.Groups[g]) groupOf[id] = g + 1;
        switch (format)
        {
            case "csv":
                w.WriteLine("group,a_id,a_path,b_id,b_path,score,identical");
                foreach (var p in report.Pairs)
                    w.WriteLine($"{groupOf[p.A]},{p.A},{CliCommon.Csv(paths[p.A])},{p.B},{CliCommon.Csv(paths[p.B])},{p.Score.ToString("R", CultureInfo.InvariantCulture)},{(p.Identical ? 1 : 0)}");
                break;
            case "json":
                w.WriteLine(JsonSerializer.Serialize(new
                {
                    threshold, items = paths.Count, truncated_items = report.Truncated,
                    pairs = report.Pairs.Select(p => new { a = p.A, b = p.B, a_path = paths[p.A], b_path = paths[p.B], score = p.Score, identical = p.Identical }),
                    groups = report.Groups.Select(g => g.Select(id => new { id, path = paths[id] })),
                }, new JsonSerializerOptions { WriteIndented = true }));
                break;
            case "html":
                ContactSheet.Write(w, $"gpusearch dedup: {report.Groups.Count} groups of near-duplicates in {engine.Folder} (cosine > {threshold.ToString(CultureInfo.InvariantCulture)})",
                    Sheet(report, paths));
                break;
            default:
                var console = CliCommon.Console(w);
                for (int g = 0; g < report.Groups.Count; g++)
                {
                    var t = new Table().Title($"group {g + 1}").AddColumns("id", "path");
                    foreach (var id in report.Groups[g]) t.AddRow(id.ToString(CultureInfo.InvariantCulture), Markup.Escape(paths[id]));
                    console.Write(t);
                }
                console.MarkupLine($"{report.Pairs.Count} pairs ({report.Pairs.Count(p => p.Identical)} identical files) in {report.Groups.Count} groups among {paths.Count} images");
                break;
        }
        if (report.Truncated > 0)
            Console.Error.WriteLine($"warning: {report.Truncated} images have more near-duplicates than the per-image cap; some of their pairs are not listed (groups still join through chains)");
        if (outFile is not null) Console.Error.WriteLine($"wrote {report.Groups.Count} groups to {Path.GetFullPath(outFile)}");
        return ExitCodes.Ok;
    }

    // Each group is one row: its first image, then the others with their similarity to it where that pair was found.
    private static IEnumerable<SheetRow> Sheet(DuplicateReport report, IReadOnlyDictionary<long, string> paths)
    {
        var thumb = QueryCommand.CachedThumbnails();
        var score = report.Pairs.ToDictionary(p => (p.A, p.B), p => p.Score);
        foreach (var g in report.Groups)
            yield return new SheetRow(paths[g[0]], thumb(paths[g[0]]),
                g.Skip(1).Select(id => new SheetNeighbour(id, paths[id], score.GetValueOrDefault((g[0], id), float.NaN), thumb(paths[id]))).ToArray());
    }
}
