// `gpusearch eval --db DB --queries DIR --truth truth.csv [-k 20] [--per-query FILE]`: runs every query image
// against the index and reports mAP, ISC-2021 micro-AP, recall@1/5/10/20 and the share of queries whose relevant
// item is in the top 20, and how many truth rows matched no query or no indexed image; --json for machines.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuSearch.Evaluation;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

internal static class EvalCommand
{
    public static Command Create()
    {
        var db = CliCommon.Db();
        var queries = new Option<string[]>("--queries") { Description = "Query images: files, folders or list files", Required = true, AllowMultipleArgumentsPerToken = true };
        var truth = new Option<string>("--truth") { Description = "CSV of query,relevant paths, relative to the query folder and the gallery root (or absolute); several rows per query allowed", Required = true };
        var k = new Option<int>("-k") { Description = "Results per query used for the metrics", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var perQuery = new Option<string?>("--per-query") { Description = "Write one row per query (rank of the first relevant item, AP) to FILE (.csv or .json)" };
        var device = CliCommon.Device();
        var json = CliCommon.Json();
        var refine = new RefinementOptions();
        var cmd = new Command("eval", "Measure retrieval quality of an index against ground truth") { db, queries, truth, k, perQuery, device, json };
        refine.AddTo(cmd);
        cmd.SetAction((r, ct) => RunAsync(r.GetValue(db)!, r.GetValue(queries)!, r.GetValue(truth)!, r.GetValue(k), r.GetValue(device)!, r.GetValue(json), Console.Out, ct,
            r.GetValue(perQuery), refine.Read(r)));
        return cmd;
    }

    public static async Task<int> RunAsync(string db, string[] queries, string truthPath, int k, string device, bool json, TextWriter output, CancellationToken ct,
        string? perQueryPath = null, QueryRefinementArgs? refine = null)
    {
        if (k <= 0) throw new ArgumentException($"-k must be at least 1 (got {k})");
        var truth = GroundTruth.Load(truthPath);
        using var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = device, CreateIfMissing = false, ReadOnly = true });
        var outcomes = new List<QueryOutcome>();
        var failed = new List<QueryOutcome>();
        var refinement = refine?.Build(engine) ?? new QueryRefinement();
        using (refinement.Background)
            await foreach (var o in engine.QueryImagesRefinedAsync(queries, k, refinement, ct))
                (o.Failure is null ? outcomes : failed).Add(o);
        var gallery = engine.Items().Select(i => i.Path).ToArray();
        var resolved = truth.Resolve(GroundTruth.QueryRoots(queries), outcomes.Concat(failed).Select(o => o.QueryPath), GroundTruth.CommonRoot(gallery), gallery);
        var results = outcomes.Select(o => new QueryResult(Path.GetFullPath(o.QueryPath),
            o.Hits.Select(h => (Path.GetFullPath(h.Path), (double)h.Score)).ToArray(), resolved.For(o.QueryPath))).ToList();
        if (perQueryPath is not null) PerQueryReport.Write(perQueryPath, results.Select(PerQueryReport.Row));
        int[] ks = [.. new[] { 1, 5, 10, 20 }.Where(x => x <= k).Append(k).Distinct()];
        var r = RetrievalMetrics.Evaluate(results, ks);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                queries = r.Queries, queries_with_truth = r.QueriesWithTruth, failed_queries = failed.Select(f => f.QueryPath), k,
                truth_rows_without_query = resolved.UnmatchedQueryLines.Count, truth_rows_without_item = resolved.UnmatchedItemLines.Count,
                map = r.MeanAveragePrecision, micro_ap = r.MicroAveragePrecision,
                recall = r.RecallAt.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                hit_rate = r.HitRateAt.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        var console = CliCommon.Console(output);
        var t = new Table().AddColumns("metric", "value");
        t.AddRow("queries (with truth)", $"{r.Queries} ({r.QueriesWithTruth})");
        t.AddRow("truth rows matching no query / no indexed image", $"{resolved.UnmatchedQueryLines.Count} / {resolved.UnmatchedItemLines.Count}");
        t.AddRow($"mAP@{k}", r.MeanAveragePrecision.ToString("F4", CultureInfo.InvariantCulture));
        t.AddRow("micro-AP (ISC 2021)", r.MicroAveragePrecision.ToString("F4", CultureInfo.InvariantCulture));
        foreach (var (kk, v) in r.RecallAt) t.AddRow($"recall@{kk}", v.ToString("F4", CultureInfo.InvariantCulture));
        foreach (var (kk, v) in r.HitRateAt) t.AddRow($"relevant in top {kk}", v.ToString("P1", CultureInfo.InvariantCulture));
        console.Write(t);
        foreach (var f in failed) console.MarkupLine($"[yellow]query failed[/] {Markup.Escape(f.QueryPath)}: {Markup.Escape(f.Failure!.Message)}");
        foreach (var (what, lines) in new[] { ("names no query that was run", resolved.UnmatchedQueryLines), ("names no indexed image", resolved.UnmatchedItemLines) })
            if (lines.Count > 0)
                console.MarkupLine($"[yellow]truth[/] {Markup.Escape(truthPath)}: {lines.Count} row(s) {what} (lines {Markup.Escape(string.Join(", ", lines.Take(10)))}{(lines.Count > 10 ? ", ..." : "")})");
        if (perQueryPath is not null) console.MarkupLine($"per-query rows: {Markup.Escape(perQueryPath)}");
        return ExitCodes.Ok;
    }
}
