// `gpusearch index INPUTS --db DB`: embeds images into an index folder with a progress bar (images/s, ETA),
// a summary of added/skipped/failed, and the failures written to a CSV. --json streams one NDJSON event per
// committed batch, so a caller (or a crash test) knows exactly what was durably added.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

internal static class IndexCommand
{
    public static Command Create()
    {
        var inputs = CliCommon.Inputs("Images to add");
        var db = CliCommon.Db();
        var model = SpaceOptions.Models();
        var weights = SpaceOptions.Weights();
        var names = SpaceOptions.Names();
        var pre = new Option<string[]>("--preprocess") { Description = CliCommon.Preprocess().Description + " (ensemble: once, or once per --model)", Arity = ArgumentArity.ZeroOrMore };
        var outName = new Option<string[]>("--output-name") { Description = CliCommon.Output().Description + " (ensemble: once, or once per --model)", Arity = ArgumentArity.ZeroOrMore };
        var pool = new Option<string[]>("--pool") { Description = CliCommon.Pool().Description + " (ensemble: once, or once per --model)", Arity = ArgumentArity.ZeroOrMore };
        var batch = CliCommon.Batch();
        var workers = CliCommon.Workers();
        var device = CliCommon.Device();
        var failures = new Option<string?>("--failures") { Description = "CSV listing failed files (default: DB/index-failures.csv)" };
        var json = CliCommon.Json();
        var flip = new Option<bool>("--flip-tta") { Description = "Flip test-time augmentation: average each image's embedding with its mirror's (fixed when the index is created; queries follow it)" };
        var cmd = new Command("index", "Add images to an index folder (created if missing); re-running resumes and skips what is in")
        { inputs, db, model, weights, names, pre, outName, pool, batch, workers, device, failures, json, flip };
        cmd.SetAction((r, ct) =>
        {
            string[] models = r.GetValue(model) ?? [], pres = r.GetValue(pre) ?? [], outs = r.GetValue(outName) ?? [], pools = r.GetValue(pool) ?? [];
            var spaces = SpaceOptions.Build(models, r.GetValue(weights), r.GetValue(names), pres, outs, pools);
            if (spaces is null && (pres.Length > 1 || outs.Length > 1 || pools.Length > 1))
                throw new ArgumentException("--preprocess, --output-name and --pool are given once unless there are several --model");
            var single = models.FirstOrDefault();
            return RunAsync(r.GetValue(inputs)!, new EngineOptions
            {
                Device = r.GetValue(device)!, Spaces = spaces, ModelPath = spaces is null ? single : null,
                Preprocess = spaces is null ? CliCommon.ParsePreprocess(pres.FirstOrDefault(), single) : null,
                OutputName = spaces is null ? outs.FirstOrDefault() : null, Pool = spaces is null ? CliCommon.ParsePool(pools.FirstOrDefault()) : null,
                BatchSize = r.GetValue(batch), DecodeWorkers = r.GetValue(workers), FlipTta = r.GetValue(flip) ? true : null,
            }, r.GetValue(db)!, r.GetValue(failures), r.GetValue(json), Console.Out, CancellationTokenSource.CreateLinkedTokenSource(ct, CliCommon.CtrlC()).Token);
        });
        return cmd;
    }

    public static async Task<int> RunAsync(string[] inputs, EngineOptions options, string db, string? failuresPath, bool json,
        TextWriter output, CancellationToken ct)
    {
        // Checked before the index folder is created: a wrong path must leave nothing behind.
        foreach (var input in inputs)
            if (!File.Exists(input) && !Directory.Exists(input)) throw new ArgumentException($"input '{input}' is neither a file nor a folder");
        using var engine = ImageSearchEngine.Open(db, options);
        long countBefore = engine.Count;
        var console = CliCommon.Console(output);
        foreach (var line in engine.RecoveryLog) Console.Error.WriteLine($"recovered: {line}");
        var opts = new JsonSerializerOptions { WriteIndented = false };
        IndexReport report;
        try
        {
            if (json)
            {
                report = await engine.AddImagesAsync(inputs, null, ct, b =>
                {
                    output.WriteLine(JsonSerializer.Serialize(new { @event = "added", ids = b.Ids, paths = b.Paths }, opts));
                    output.Flush();
                });
            }
            else if (console.Profile.Capabilities.Interactive)
            {
                report = null!;
                await console.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("indexing", maxValue: 1);
                        report = await engine.AddImagesAsync(inputs, new InlineProgress(p =>
                        {
                            task.MaxValue = Math.Max(1, p.Total);
                            task.Value = p.Processed;
                            task.Description = $"indexing {p.ImagesPerSecond,6:F1} img/s  +{p.Added} ={p.Skipped} !{p.Failed}";
                        }), ct);
                    });
            }
            else
            {
                // Not a terminal: a progress line on stderr every few seconds instead of a redrawn bar.
                var last = Stopwatch.StartNew();
                report = await engine.AddImagesAsync(inputs, new InlineProgress(p =>
                {
                    if (last.Elapsed.TotalSeconds < 3 && p.Processed < p.Total) return;
                    last.Restart();
                    var eta = p.ImagesPerSecond > 0 ? TimeSpan.FromSeconds((p.Total - p.Processed) / p.ImagesPerSecond) : TimeSpan.Zero;
                    Console.Error.WriteLine($"indexing {p.Processed}/{p.Total}  {p.ImagesPerSecond:F1} img/s  ETA {eta:hh\\:mm\\:ss}  (+{p.Added} ={p.Skipped} !{p.Failed})");
                }), ct);
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"cancelled; {engine.Count - countBefore} committed this run, everything reported added is kept ({engine.Count} images in {db})");
            return ExitCodes.Failed;
        }

        failuresPath ??= Path.Combine(engine.Folder, "index-failures.csv");
        if (report.Failures.Count > 0)
        {
            using var w = new StreamWriter(failuresPath);
            w.WriteLine("path,reason,message");
            foreach (var f in report.Failures) w.WriteLine($"{CliCommon.Csv(f.Path)},{f.Reason},{CliCommon.Csv(f.Message)}");
        }
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                @event = "summary", added = report.Added, skipped = report.Skipped, failed = report.Failures.Count, total = engine.Count,
                seconds = report.Elapsed.TotalSeconds, failures_file = report.Failures.Count > 0 ? failuresPath : null,
                failures = report.Failures.Select(f => new { path = f.Path, reason = f.Reason, message = f.Message }),
            }, opts));
            return ExitCodes.Ok;
        }
        var t = new Table().AddColumns("added", "skipped", "failed", "in index", "time", "img/s");
        t.AddRow(report.Added.ToString(), report.Skipped.ToString(), report.Failures.Count.ToString(), engine.Count.ToString(),
            $"{report.Elapsed.TotalSeconds:F1} s", report.Elapsed.TotalSeconds > 0 ? $"{report.Added / report.Elapsed.TotalSeconds:F1}" : "-");
        console.Write(t);
        console.MarkupLine($"index: {Markup.Escape(engine.Folder)} on {Markup.Escape(engine.Device.Id)} ({Markup.Escape(engine.Device.Name)}), model {Markup.Escape(Path.GetFileName(engine.ModelPath))}, {engine.Dimension}-d");
        if (engine.Spaces.Count > 1) console.MarkupLine($"embedding spaces: {Markup.Escape(engine.SpaceLayoutDescription)}");
        if (report.Failures.Count > 0)
        {
            foreach (var g in report.Failures.GroupBy(f => f.Reason).OrderByDescending(g => g.Count()))
                console.MarkupLine($"  [yellow]{g.Count()} {Markup.Escape(g.Key)}[/]: e.g. {Markup.Escape(g.First().Path)} — {Markup.Escape(g.First().Message)}");
            console.MarkupLine($"failures listed in {Markup.Escape(failuresPath)}");
        }
        return ExitCodes.Ok;
    }
}

/// <summary>IProgress that runs the callback on the reporting thread (Progress&lt;T&gt; would post to the pool).</summary>
internal sealed class InlineProgress(Action<IndexProgress> report) : IProgress<IndexProgress>
{
    public void Report(IndexProgress value) => report(value);
}
