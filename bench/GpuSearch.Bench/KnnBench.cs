// `gpusearch-bench knn`: exact k-NN throughput of the engine against FAISS IndexFlatIP/IndexFlatL2 (and, with
// --numpy, numpy's matrix product + partial sort) run on the same data in the same run (bench/faiss_knn.py),
// interleaved per point. Reports queries/s, effective GB/s of database read (one pass over N×D per batch),
// GFLOP/s, CPU seconds per search, the fraction of the device's peak where known, and the engine/baseline ratios.
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Search;

namespace GpuSearch.Bench;

internal static class KnnBench
{
    private sealed record Row(int N, int D, int Q, int K, string Metric, string DType, double BestMs, double MedianMs,
        double Qps, double GBs, double GFlops, double GFlopsPerCpuSecond, double? PeakFraction, double? FaissQps, double? Ratio, string? FaissNote,
        double? FaissBlasQps, double? RatioBlas, double? DefaultQps = null, double? DefaultCpuSeconds = null, double CpuSeconds = 0, string? Tiles = null, double? FaissCpuSeconds = null,
        double? FaissBlasCpuSeconds = null, double? NumpyQps = null, double? NumpyCpuSeconds = null, double? RatioNumpy = null);

    /// <summary>One baseline's outcome for a point: queries/s and CPU seconds per search, or why it did not run.</summary>
    private readonly record struct Baseline(double? Qps, string? Note, double? CpuSeconds)
    {
        public double? RatioOf(double qps) => Qps is { } b ? qps / b : null;
    }

    public static int Run(string[] args)
    {
        var o = BenchArgs.Parse(args);
        if (!o.Flag("--json")) Console.WriteLine(BenchMachine.Line);
        var ns = o.Ints("--n", [200_000]);
        var ds = o.Ints("--d", [512]);
        var qs = o.Ints("--q", [64]);
        var ks = o.Ints("--k", [20]);
        var metric = MetricExtensions.ParseMetric(o.Str("--metric", "ip"));
        var storage = MetricExtensions.ParseStorage(o.Str("--dtype", "fp32"));
        int repeat = o.Int("--repeat", 3);
        bool faiss = o.Flag("--faiss");
        // --numpy: numpy's queries @ base.T + partial sort, through the --faiss-blas BLAS when given (else the system's).
        bool numpy = o.Flag("--numpy");
        string? blasDir = o.Has("--faiss-blas") ? o.Str("--faiss-blas", "") : null;
        if (blasDir is not null && !File.Exists(Path.Combine(blasDir, "libblas.so.3")))
            throw new ArgumentException($"--faiss-blas: {blasDir} has no libblas.so.3 (run bench/get_openblas.sh)");
        bool json = o.Flag("--json");
        string deviceSel = o.Str("--device", "auto");
        int? qt = o.Has("--qt") ? o.Int("--qt", 16) : null;
        // --tiles RPW,QT,SEL_WG,GROUPS[,QB]: run the engine with these scan tiles instead of the tuned ones (with --ab:
        // an old configuration beside the shipped default, interleaved).
        var tiles = o.Has("--tiles") ? ParseTiles(o.Str("--tiles", "")) : null;
        // --ab: the device's shipped class default scan tiles beside the tuned ones (tuning cache), interleaved per repeat.
        bool ab = o.Flag("--ab");
        if (metric == Metric.Cosine && (faiss || numpy)) throw new ArgumentException("--faiss and --numpy compare ip or l2 (FAISS has no cosine flat index)");

        using var device = DeviceRegistry.Default.Open(deviceSel);
        var peak = DevicePeak.For(device.Info, o);
        Console.Error.WriteLine($"knn bench on {device} — {Environment.ProcessorCount} host threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC" +
                                (peak is null ? "; device peak unknown (pass --peak-gbs/--peak-gflops)" : $"; peak {peak.GBs} GB/s, {peak.GFlops} GFLOP/s"));
        var rows = new List<Row>();
        var tmp = Directory.CreateTempSubdirectory("knn-bench-").FullName;
        try
        {
            foreach (var n in ns)
                foreach (var d in ds)
                {
                    var db = RandomMatrix(n, d, seed: 1);
                    var allQ = RandomMatrix(qs.Max(), d, seed: 2);
                    string basePath = Path.Combine(tmp, "base.npy");
                    if (faiss || numpy) NpyWriter.Write(basePath, db, n, d);
                    GC.Collect(); // the FAISS process needs the memory more than our garbage does
                    using var index = new FlatIndex(device, d, storage);
                    if (qt is not null || tiles is not null) index.Tuning = new ScanTuning { QueryTile = qt, Tiles = tiles };
                    var sw = Stopwatch.StartNew();
                    index.Add(db, Enumerable.Range(0, n).Select(i => (long)i).ToArray());
                    Console.Error.WriteLine($"  added {n}×{d} {storage} in {sw.Elapsed.TotalSeconds:F1} s");
                    foreach (var q in qs)
                    {
                        var queries = allQ.AsSpan(0, q * d).ToArray();
                        string qPath = Path.Combine(tmp, $"q{q}.npy");
                        if (faiss || numpy) NpyWriter.Write(qPath, queries, q, d);
                        foreach (var k in ks)
                        {
                            var tuned = index.Tuning;
                            var shipped = tuned with { Tiles = Models.Tuning.TunedScanTiles.Default(device.Info) };
                            index.Search(queries, k, metric); // warm-up: kernel builds, device upload
                            if (ab) { index.Tuning = shipped; index.Search(queries, k, metric); index.Tuning = tuned; }
                            var times = new List<double>();
                            var defTimes = new List<double>();
                            // Process CPU time as well: on a shared machine it shows the kernel's efficiency
                            // per core even when wall time is inflated by other tenants (PoCL runs in-process).
                            var proc = Process.GetCurrentProcess();
                            TimeSpan cpu = TimeSpan.Zero, defCpu = TimeSpan.Zero;
                            // One search with the index's current tuning: wall ms into times, CPU time returned.
                            TimeSpan TimedSearch(List<double> into)
                            {
                                proc.Refresh();
                                var cpu0 = proc.TotalProcessorTime;
                                sw.Restart();
                                index.Search(queries, k, metric);
                                into.Add(sw.Elapsed.TotalMilliseconds);
                                proc.Refresh();
                                return proc.TotalProcessorTime - cpu0;
                            }
                            for (int r = 0; r < repeat; r++)
                            {
                                if (ab)
                                {
                                    index.Tuning = shipped;
                                    defCpu += TimedSearch(defTimes);
                                    index.Tuning = tuned;
                                }
                                cpu += TimedSearch(times);
                            }
                            double cpuSeconds = cpu.TotalSeconds / repeat;
                            double? defQps = ab ? q / (defTimes.Min() / 1e3) : null;
                            double? defCpuSeconds = ab ? defCpu.TotalSeconds / repeat : null;
                            times.Sort();
                            double best = times[0], median = times[times.Count / 2];
                            double bytes = (double)n * d * storage.ElementBytes();
                            double gbs = bytes / (best / 1e3) / 1e9;
                            double gflops = 2.0 * q * n * d / (best / 1e3) / 1e9;
                            double? frac = peak is null ? null : Math.Max(gbs / peak.GBs, gflops / peak.GFlops);
                            // The baselines, right after the engine's runs of this point (one helper, one call each).
                            Baseline RunBaseline(string? blas, string engine)
                            {
                                var (bq, note, bcpu) = FaissBaseline.Run(basePath, qPath, k, metric, repeat, blas, engine);
                                return new Baseline(bq, note, bcpu);
                            }
                            var none = new Baseline(null, null, null);
                            var fs = faiss ? RunBaseline(null, "faiss") : none;
                            var fb = faiss && blasDir is not null ? RunBaseline(blasDir, "faiss") : none;
                            var np = numpy ? RunBaseline(blasDir, "numpy") : none;
                            double qps = q / (best / 1e3);
                            var row = new Row(n, d, q, k, metric.ToString().ToLowerInvariant(), storage.ToString().ToLowerInvariant(),
                                best, median, qps, gbs, gflops, 2.0 * q * n * d / Math.Max(cpuSeconds, 1e-9) / 1e9, frac, fs.Qps, fs.RatioOf(qps), fs.Note,
                                fb.Qps, fb.RatioOf(qps), defQps, defCpuSeconds, cpuSeconds, (tiles ?? Models.Tuning.TunedScanTiles.For(device.Info)).ToString(), fs.CpuSeconds,
                                fb.CpuSeconds, np.Qps, np.CpuSeconds, np.RatioOf(qps));
                            rows.Add(row);
                            if (!json) Print(row);
                        }
                    }
                }
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // InvariantGlobalization is on for every project, so interpolation formats with the invariant culture.
    private static void Print(Row r) =>
        Console.WriteLine(
            $"N={r.N,-8} D={r.D,-4} Q={r.Q,-5} k={r.K,-5} {r.Metric}/{r.DType}: best {r.BestMs,9:F2} ms (median {r.MedianMs:F2})  " +
            $"{r.Qps,10:F1} q/s  {r.GBs,7:F2} GB/s  {r.GFlops,7:F1} GFLOP/s ({r.GFlopsPerCpuSecond:F1} per CPU-s)" +
            (r.PeakFraction is { } f ? $"  {f * 100,5:F1}% of peak" : "") +
            (r.FaissQps is { } fq ? $"  | FAISS {fq,9:F1} q/s (CPU {r.FaissCpuSeconds * 1e3:F1} ms/search)  ratio {r.Ratio,5:F2}x" : r.FaissNote is { } n ? $"  | FAISS: {n}" : "") +
            (r.FaissBlasQps is { } fb ? $"  | FAISS+BLAS dir {fb,9:F1} q/s (CPU {r.FaissBlasCpuSeconds * 1e3:F1} ms)  ratio {r.RatioBlas,5:F2}x" : "") +
            (r.NumpyQps is { } nq ? $"  | numpy {nq,9:F1} q/s (CPU {r.NumpyCpuSeconds * 1e3:F1} ms)  ratio {r.RatioNumpy,5:F2}x" : "") +
            $"  | CPU {r.CpuSeconds * 1e3:F1} ms/search" +
            (r.DefaultQps is { } dq ? $"  | shipped default {dq,9:F1} q/s (CPU {r.DefaultCpuSeconds * 1e3:F1} ms), tuned/default {r.Qps / dq:F2}x [{r.Tiles}]" : ""));

    private static Models.Tuning.ScanTiles ParseTiles(string text)
    {
        var v = text.Split(',').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (v.Length is < 4 or > 5) throw new ArgumentException($"--tiles {text}: expected RPW,QT,SEL_WG,GROUPS[,QB]");
        var t = new Models.Tuning.ScanTiles(v[0], v[1], v[2], v[3], v.Length == 5 ? v[4] : 0);
        t.Validate();
        return t;
    }

    /// <summary>Uniform [-1, 1) values, fixed seed.</summary>
    private static float[] RandomMatrix(int rows, int d, int seed)
    {
        var rng = new Random(seed);
        var v = new float[(long)rows * d];
        for (long i = 0; i < v.LongLength; i++) v[i] = rng.NextSingle() * 2 - 1;
        return v;
    }
}
