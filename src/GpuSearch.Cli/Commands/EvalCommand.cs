// `gpusearch eval --db DB --queries DIR --truth truth.csv [-k 20]`: runs every query image against the index
// and reports mAP, ISC-2021 micro-AP, recall@1/5/10/20 and the share of queries whose relevant item is in
// the top 20; --json for machines.
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
        var truth = new Option<string>("--truth") { Description = "CSV of query,relevant file names (several rows per query allowed)", Required = true };
        var k = new Option<int>("-k") { Description = "Results per query used for the metrics", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var device = CliCommon.Device();
        var json = CliCommon.Json();
        var cmd = new Command("eval", "Measure retrieval quality of an index against ground truth") { db, queries, truth, k, device, json };
        cmd.SetAction((r, ct) => RunAsync(r.GetValue(db)!, r.GetValue(queries)!, r.GetValue(truth)!, r.GetValue(k), r.GetValue(device)!, r.GetValue(json), Console.Out, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(string db, string[] queries, string truthPath, int k, string device, bool json, TextWriter output, CancellationToken ct)
    {
        if (k <= 0) throw new ArgumentException($"-k must be at least 1 (got {k})");
        var truth = GroundTruth.Load(truthPath);
        using var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = device, CreateIfMissing = false });
        var results = new List<QueryResult>();
        var failed = new List<QueryOutcome>();
        await foreach (var o in engine.QueryImagesAsync(queries, k, null, ct))
        {
            if (o.Failure is not null) { failed.Add(o); continue; }
            results.Add(new QueryResult(GroundTruth.Key(o.QueryPath), o.Hits.Select(h => (GroundTruth.Key(h.Path), (double)h.Score)).ToArray(), truth.For(o.QueryPath)));
        }
        int[] ks = [.. new[] { 1, 5, 10, 20 }.Where(x => x <= k).Append(k).Distinct()];
        var r = RetrievalMetrics.Evaluate(results, ks);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                queries = r.Queries, queries_with_truth = r.QueriesWithTruth, failed_queries = failed.Select(f => f.QueryPath), k,
                map = r.MeanAveragePrecision, micro_ap = r.MicroAveragePrecision,
                recall = r.RecallAt.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                hit_rate = r.HitRateAt.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        var console = CliCommon.Console(output);
        var t = new Table().AddColumns("metric", "value");
        t.AddRow("queries (with truth)", $"{r.Queries} ({r.QueriesWithTruth})");
        t.AddRow($"mAP@{k}", r.MeanAveragePrecision.ToString("F4", CultureInfo.InvariantCulture));
        t.AddRow("micro-AP (ISC 2021)", r.MicroAveragePrecision.ToString("F4", CultureInfo.InvariantCulture));
        foreach (var (kk, v) in r.RecallAt) t.AddRow($"recall@{kk}", v.ToString("F4", CultureInfo.InvariantCulture));
        foreach (var (kk, v) in r.HitRateAt) t.AddRow($"relevant in top {kk}", v.ToString("P1", CultureInfo.InvariantCulture));
        console.Write(t);
        foreach (var f in failed) console.MarkupLine($"[yellow]query failed[/] {Markup.Escape(f.QueryPath)}: {Markup.Escape(f.Failure!.Message)}");
        return ExitCodes.Ok;
    }
}
