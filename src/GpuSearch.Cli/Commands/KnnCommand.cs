// `gpusearch knn --base base.npy --queries q.npy -k 100 --metric ip|cos|l2 [--dtype fp32|fp16|int8]
// [--device ...] [--range T --max-hits N] [--skip-nonfinite] --out result.npz|json [--json]`: exact k-NN (or
// range search) of a query matrix against a base matrix on the device(s). Ids are the base row numbers.
// Rows holding NaN or infinity are refused, naming file and row, unless --skip-nonfinite drops them.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Search;
using GpuSearch.Search.Io;

namespace GpuSearch.Cli.Commands;

/// <summary>Parsed options of <c>gpusearch knn</c>.</summary>
public sealed record KnnOptions(string Base, string Queries, int K, string Metric, string DType, string Device,
    float? Range, int MaxHits, string Out, bool Json, bool SkipNonFinite = false);

/// <summary>The <c>knn</c> subcommand; <see cref="Run"/> is public so tests run it in-process.</summary>
public static class KnnCommand
{
    /// <summary>Builds the System.CommandLine command.</summary>
    public static Command Create()
    {
        var baseOpt = new Option<string>("--base") { Description = "Database vectors: 2-D .npy (<f4 or <f2, C order)", Required = true };
        var queries = new Option<string>("--queries") { Description = "Query vectors: 2-D .npy (<f4 or <f2, C order)", Required = true };
        var k = new Option<int>("--k", "-k") { Description = "Neighbours per query", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var metric = new Option<string>("--metric") { Description = "ip | cos | l2 (l2 reports squared distances)", DefaultValueFactory = _ => "ip" };
        var dtype = new Option<string>("--dtype") { Description = "Storage of the base on the device: fp32 | fp16 | int8", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = "auto | cpu | opencl:N | cuda:N, comma-separated or 'all' to shard", DefaultValueFactory = _ => "auto" };
        var range = new Option<float?>("--range") { Description = "Range search: every hit with score above THRESH (l2: distance below)" };
        var maxHits = new Option<int>("--max-hits") { Description = "Range search: hits kept per query (the rest are counted as dropped)", DefaultValueFactory = _ => 1000 }.AtLeast(1);
        var output = new Option<string>("--out") { Description = "Result file: .npz (ids int64, scores float32) or .json", Required = true };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary to stdout" };
        var skipNonFinite = new Option<bool>("--skip-nonfinite")
        {
            Description = "Drop base and query rows holding NaN or infinity (counted in the summary; base ids keep their row numbers, " +
                          "result rows follow the kept queries) instead of refusing the input",
        };
        var cmd = new Command("knn", "Exact k-NN (or range) search of query vectors against base vectors on the device")
        {
            baseOpt, queries, k, metric, dtype, device, range, maxHits, output, json, skipNonFinite,
        };
        cmd.SetAction(r => Run(new KnnOptions(r.GetValue(baseOpt)!, r.GetValue(queries)!, r.GetValue(k), r.GetValue(metric)!,
            r.GetValue(dtype)!, r.GetValue(device)!, r.GetValue(range), r.GetValue(maxHits), r.GetValue(output)!, r.GetValue(json),
            r.GetValue(skipNonFinite)),
            Console.Out));
        return cmd;
    }

    /// <summary>Runs the search; returns the exit code. Errors are thrown as exceptions whose messages name the file.</summary>
    public static int Run(KnnOptions o, TextWriter stdout)
    {
        var metric = MetricExtensions.ParseMetric(o.Metric);
        var storage = MetricExtensions.ParseStorage(o.DType);
        if (o.K <= 0) throw new ArgumentException($"-k must be at least 1 (got {o.K})");
        if (o.Range is not null && o.MaxHits <= 0) throw new ArgumentException($"--max-hits must be at least 1 (got {o.MaxHits})");
        var ext = Path.GetExtension(o.Out).ToLowerInvariant();
        if (ext is not (".npz" or ".json")) throw new ArgumentException($"{o.Out}: --out must end in .npz or .json");

        var total = Stopwatch.StartNew();
        var db = NpyMatrixReader.Read(o.Base);
        var q = NpyMatrixReader.Read(o.Queries);
        if (q.Cols != db.Cols)
            throw new InvalidDataException($"{o.Queries}: queries have dimension {q.Cols} but the base {o.Base} has dimension {db.Cols}");
        var badBase = NonFiniteRows.Find(db);
        var badQueries = NonFiniteRows.Find(q);
        long[]? baseRows = null;
        if (!o.SkipNonFinite)
        {
            NonFiniteRows.Refuse(o.Base, badBase, "fix the data or pass --skip-nonfinite to drop such rows");
            NonFiniteRows.Refuse(o.Queries, badQueries, "fix the data or pass --skip-nonfinite to drop such rows");
        }
        else
        {
            if (badBase.Length > 0) (db, baseRows) = NonFiniteRows.Without(db, badBase);
            if (badQueries.Length > 0) q = NonFiniteRows.Without(q, badQueries).Kept;
        }
        if (db.Rows == 0) throw new InvalidDataException($"{o.Base}: the base has no vectors{(badBase.Length > 0 ? " with finite values" : "")}");
        if (q.Rows == 0) throw new InvalidDataException($"{o.Queries}: no query holds only finite values");

        var devices = DeviceRegistry.Default.OpenAll(o.Device);
        try
        {
            using IVectorIndex index = devices.Count == 1
                ? new FlatIndex(devices[0], db.Cols, storage)
                : new ShardedIndex(devices, db.Cols, storage);
            var ids = baseRows ?? new long[db.Rows];
            if (baseRows is null) for (int i = 0; i < ids.Length; i++) ids[i] = i;
            try
            {
                index.Add(db.Data, ids);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{o.Base}: {e.Message}", e); // e.g. NaN values with --dtype int8
            }
            var search = Stopwatch.StartNew();
            long hits;
            if (o.Range is { } t)
            {
                var r = index.RangeSearch(q.Data, t, o.MaxHits, metric);
                search.Stop();
                KnnResultWriter.WriteRange(o.Out, r, metric);
                hits = r.Ids.LongLength;
            }
            else
            {
                var r = index.Search(q.Data, o.K, metric);
                search.Stop();
                KnnResultWriter.Write(o.Out, r, metric);
                hits = r.Ids.LongLength;
            }
            var summary = new
            {
                @base = o.Base, queries = o.Queries, n = db.Rows, d = db.Cols, q = q.Rows, k = o.K,
                metric = metric.ToString().ToLowerInvariant(), dtype = storage.ToString().ToLowerInvariant(),
                devices = devices.Select(d => d.Info.Id).ToArray(), range = o.Range, results = hits, output = o.Out,
                search_ms = search.Elapsed.TotalMilliseconds, total_ms = total.Elapsed.TotalMilliseconds,
                queries_per_s = q.Rows / Math.Max(search.Elapsed.TotalSeconds, 1e-9),
                skipped_base_rows = badBase.Length, skipped_query_rows = badQueries,
            };
            if (o.Json) stdout.WriteLine(JsonSerializer.Serialize(summary));
            else
                stdout.WriteLine($"knn: {q.Rows} queries × {db.Rows} vectors (d={db.Cols}, {summary.dtype}, {summary.metric}) on " +
                                 $"{string.Join(",", summary.devices)}: {search.Elapsed.TotalMilliseconds:F1} ms " +
                                 $"({summary.queries_per_s:F0} queries/s); wrote {o.Out}" +
                                 (o.SkipNonFinite ? $"; skipped non-finite rows: {badBase.Length} base, {badQueries.Length} queries" +
                                     (badQueries.Length > 0 ? $" (query rows {string.Join(", ", badQueries.Take(10))}{(badQueries.Length > 10 ? ", ..." : "")})" : "") : ""));
            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var d in devices) d.Dispose();
        }
    }
}
