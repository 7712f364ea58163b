// End-to-end indexing of real image files: the engine's public add path (ImageSearchEngine.Open + AddImagesAsync,
// default model, one engine open for all rounds, each round adding its own copies of the files) against the C# pipeline a user would write with
// ImageSharp 2.1.13 + ONNX Runtime 1.31.1 (IngestBaseline.cs), rounds interleaved (engine, baseline, engine, …) so
// load from other tenants hits both alike: images/s (best and median), CPU-s per image (process CPU time, PoCL's
// threads included), the ratio, the cosine agreement of the two sides' vectors per image, and where the engine's
// time goes stage by stage (IngestStages.cs). The input folder's images are copied until there are --images files.
// `gpusearch-bench ingest [--dir DIR] [--images 256] [--repeat 3] [--batch 32] [--device cpu] [--ort-threads 0]
//   [--decode-workers N (the engine's; default its own, the core count)] [--no-stages] [--json]`
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Embedding;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Bench;

/// <summary>Options of <c>gpusearch-bench ingest</c>.</summary>
internal sealed record IngestOptions(string Dir, int Images, int Repeat, int Warmup, int Batch, string Device, int OrtThreads, bool Stages, bool Json,
    int DecodeWorkers = 0)
{
    /// <summary>The demo photos (scripts/fetch-demo-photos.sh) beside the models cache.</summary>
    public static string DefaultDir => Path.Combine(Path.GetDirectoryName(DefaultModel.ModelsRoot)!, "demo", "photos");

    public static IngestOptions Parse(string[] args)
    {
        var o = new IngestOptions(DefaultDir, 256, 3, 1, 32, "cpu", 0, true, false);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Positive(string name) => int.TryParse(Next(), out var v) && v > 0 ? v : throw new ArgumentException($"{name} needs a positive integer");
            o = args[i] switch
            {
                "--dir" => o with { Dir = Next() },
                "--images" => o with { Images = Positive("--images") },
                "--repeat" => o with { Repeat = Positive("--repeat") },
                "--decode-workers" => o with { DecodeWorkers = Positive("--decode-workers") },
                "--warmup" => o with { Warmup = Positive("--warmup") },
                "--batch" => o with { Batch = Positive("--batch") },
                "--device" => o with { Device = Next() },
                "--ort-threads" => o with { OrtThreads = int.TryParse(Next(), out var t) && t >= 0 ? t : throw new ArgumentException("--ort-threads needs 0 (ORT's default) or more") },
                "--no-stages" => o with { Stages = false },
                "--json" => o with { Json = true },
                _ => throw new ArgumentException($"ingest: unknown option {args[i]}"),
            };
        }
        return o;
    }
}

/// <summary>The end-to-end indexing benchmark.</summary>
public static class IngestBench
{
    private sealed record Side(string Name)
    {
        public List<(double Wall, double Cpu, long MinorFaults)> Rounds { get; } = [];
        public double Best => Rounds.Min(r => r.Wall);
        public double Median => Rounds.Select(r => r.Wall).Order().ElementAt(Rounds.Count / 2);
        public double CpuPerRound => Rounds.Average(r => r.Cpu);
        /// <summary>The first warm-up round, on a just-opened engine or a just-created ORT session.</summary>
        public (double Wall, double Cpu, long MinorFaults) FirstRound { get; set; }
        /// <summary>Seconds to set up before the rounds (the engine's Open, ORT's session).</summary>
        public double Setup { get; set; }
        /// <summary>CPU seconds by thread group, summed over the timed rounds.</summary>
        public Dictionary<string, double> ThreadCpu { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var o = IngestOptions.Parse(args);
        if (!Directory.Exists(o.Dir)) throw new ArgumentException($"no image folder {o.Dir} (run scripts/fetch-demo-photos.sh or pass --dir)");
        var sources = Imaging.ImageFiles.Expand([o.Dir]);
        if (sources.Count == 0) throw new ArgumentException($"no images in {o.Dir}");
        var scratch = Directory.CreateTempSubdirectory("gpusearch-ingest-").FullName;
        try
        {
            // Each round indexes its own copies (the index is keyed by path and skips what it has), so one engine stays
            // open across rounds as one ORT session does; copies stay in the page cache like the originals.
            var roundDirs = Enumerable.Range(0, o.Warmup + o.Repeat).Select(r =>
            {
                var dir = Directory.CreateDirectory(Path.Combine(scratch, $"images-{r}")).FullName;
                return (Dir: dir, Files: Enumerable.Range(0, o.Images).Select(i =>
                {
                    var dst = Path.Combine(dir, $"{i:D5}_{Path.GetFileName(sources[i % sources.Count])}");
                    File.Copy(sources[i % sources.Count], dst);
                    return dst;
                }).ToArray());
            }).ToArray();
            return Measure(o, roundDirs, sources.Count, scratch);
        }
        finally { Directory.Delete(scratch, recursive: true); }
    }

    private static int Measure(IngestOptions o, (string Dir, string[] Files)[] rounds, int distinct, string scratch)
    {
        var options = new EngineOptions { Device = o.Device, BatchSize = o.Batch };
        if (o.DecodeWorkers > 0) options = options with { DecodeWorkers = o.DecodeWorkers };
        float[] engineVectors = [], baselineVectors = [];
        var engine = new Side("engine (ImageSearchEngine.AddImagesAsync)");
        var ort = new Side("ImageSharp 2.1.13 + ORT 1.31.1 CPU EP");
        var files = rounds[0].Files;

        // One engine for all rounds, as a user indexing a collection keeps it open; its Open is set-up like ORT's
        // session. The first round on it (plans, transformed weights, arena, slots made on first use) is reported apart.
        var opened = Stopwatch.StartNew();
        using var index = ImageSearchEngine.Open(Path.Combine(scratch, "index"), options);
        engine.Setup = opened.Elapsed.TotalSeconds;
        void EngineRound(int r, Side? side)
        {
            var ids = new Dictionary<string, long>(StringComparer.Ordinal);
            var report = Timed(side, () => index.AddImagesAsync([rounds[r].Dir], onCommitted: b =>
            {
                for (int i = 0; i < b.Ids.Count; i++) ids[b.Paths[i]] = b.Ids[i];
            }).GetAwaiter().GetResult(), out var cost);
            if (report.Added != rounds[r].Files.Length)
                throw new InvalidOperationException($"the engine added {report.Added} of {rounds[r].Files.Length} images ({report.Failures.FirstOrDefault()?.Message})");
            if (r == 0)
            {
                engineVectors = rounds[0].Files.SelectMany(f => index.GetVector(ids[f])!).ToArray();
                engine.FirstRound = cost;
            }
        }
        var created = Stopwatch.StartNew();
        using var baseline = new IngestBaseline(DefaultModel.RequirePath(), DefaultModel.Preprocess, o.OrtThreads);
        ort.Setup = created.Elapsed.TotalSeconds;
        var baselineParts = new List<IngestBaseline.Timing>();
        void BaselineRound(int r, Side? side)
        {
            var npy = Path.Combine(scratch, "baseline.npy");
            var (v, t) = Timed(side, () => baseline.Run(rounds[r].Files, o.Batch, npy), out var cost);
            File.Delete(npy);
            if (r == 0)
            {
                baselineVectors = v;
                ort.FirstRound = cost;
            }
            if (side is not null) baselineParts.Add(t);
        }

        // Warm-up rounds (kernel compiles, plans, ORT's arena, the JIT's tier-up) keep the vectors for the agreement check.
        for (int r = 0; r < o.Warmup; r++)
        {
            EngineRound(r, null);
            BaselineRound(r, null);
        }
        for (int r = 0; r < o.Repeat; r++)
        {
            EngineRound(o.Warmup + r, engine);
            BaselineRound(o.Warmup + r, ort);
        }
        var cos = Cosines(engineVectors, baselineVectors, baseline.Dimension);
        var (stages, scaledCos, formats) = o.Stages ? IngestStages.Measure(files, o.Device, o.Batch, scratch, baseline) : ([], [], []);
        Report(o, files.Length, distinct, engine, ort, cos, baselineParts, stages, scaledCos, formats);
        return 0;
    }

    /// <summary>Runs <paramref name="f"/>; when <paramref name="side"/> is given, records its wall and process CPU seconds
    /// there and samples which threads spent the CPU.</summary>
    private static T Timed<T>(Side? side, Func<T> f, out (double Wall, double Cpu, long MinorFaults) cost)
    {
        var sampler = side is null ? null : new ThreadCpuSampler();
        var proc = Process.GetCurrentProcess();
        var c0 = proc.TotalProcessorTime;
        long f0 = MinorFaults();
        sampler?.Start();
        var sw = Stopwatch.StartNew();
        var r = f();
        double wall = sw.Elapsed.TotalSeconds;
        var groups = sampler?.Stop();
        proc.Refresh();
        cost = (wall, (proc.TotalProcessorTime - c0).TotalSeconds, MinorFaults() - f0);
        if (side is null) return r;
        side.Rounds.Add(cost);
        foreach (var (group, _, cpu) in groups!) side.ThreadCpu[group] = side.ThreadCpu.GetValueOrDefault(group) + cpu;
        return r;
    }

    /// <summary>
    /// The process's minor page faults so far (/proc/self/stat field 10; 0 where there is none): each is a page touched
    /// for the first time, which on VMs that hand freed memory back to the host costs far more than the zeroing.
    /// </summary>
    private static long MinorFaults()
    {
        string stat;
        try { stat = File.ReadAllText("/proc/self/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        // minflt is field 10 of the line, 8 after the name (field 3 is fields[0]).
        return ThreadCpuSampler.FieldsAfterName(stat) is { Length: >= 8 } fields
            && long.TryParse(fields[7], System.Globalization.CultureInfo.InvariantCulture, out var faults) ? faults : 0;
    }

    /// <summary>Per-image cosine of two row-major sets of vectors, sorted ascending.</summary>
    internal static double[] Cosines(float[] a, float[] b, int dim)
    {
        if (a.Length != b.Length || a.Length % dim != 0) throw new ArgumentException($"vector sets differ in size ({a.Length} vs {b.Length})");
        var c = new double[a.Length / dim];
        for (int i = 0; i < c.Length; i++)
        {
            double ab = 0, aa = 0, bb = 0;
            for (int j = i * dim; j < (i + 1) * dim; j++) { ab += (double)a[j] * b[j]; aa += (double)a[j] * a[j]; bb += (double)b[j] * b[j]; }
            c[i] = aa == 0 || bb == 0 ? 0 : ab / Math.Sqrt(aa * bb);
        }
        Array.Sort(c);
        return c;
    }

    private static void Report(IngestOptions o, int n, int distinct, Side engine, Side ort, double[] cos,
        List<IngestBaseline.Timing> baselineParts, IReadOnlyList<IngestStages.Stage> stages, double[] scaledCos,
        IReadOnlyList<IngestStages.FormatDecode> formats)
    {
        double ratioBest = ort.Best / engine.Best, ratioMedian = ort.Median / engine.Median;
        double cosMin = cos[0], cosMedian = cos[cos.Length / 2];
        var bp = (Decode: baselineParts.Average(t => t.DecodeCpu) / n, Forward: baselineParts.Average(t => t.ForwardCpu) / n,
            DecodeWall: baselineParts.Average(t => t.DecodeWall) / n, ForwardWall: baselineParts.Average(t => t.ForwardWall) / n);
        if (o.Json)
        {
            object Row(Side s) => new { name = s.Name, best_images_per_s = n / s.Best, median_images_per_s = n / s.Median, cpu_s_per_image = s.CpuPerRound / n,
                rounds = s.Rounds.Select(r => new { wall_s = r.Wall, cpu_s = r.Cpu, minor_faults = r.MinorFaults }) };
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "ingest", images = n, decode_workers = o.DecodeWorkers > 0 ? o.DecodeWorkers : Environment.ProcessorCount, distinct_images = distinct, dir = o.Dir, o.Batch, o.Repeat, device = o.Device,
                cpu_model = DeviceClassifier.HostCpuModel, isa = DeviceClassifier.HostCpuIsa, cores = Environment.ProcessorCount,
                engine = Row(engine), baseline = Row(ort),
                engine_thread_cpu_s_per_image = engine.ThreadCpu.ToDictionary(g => g.Key, g => g.Value / engine.Rounds.Count / n),
                baseline_thread_cpu_s_per_image = ort.ThreadCpu.ToDictionary(g => g.Key, g => g.Value / ort.Rounds.Count / n), ratio_best = ratioBest, ratio_median = ratioMedian,
                cosine_min = cosMin, cosine_median = cosMedian,
                engine_open_s = engine.Setup, baseline_session_s = ort.Setup,
                first_round = new
                {
                    engine = new { wall_s = engine.FirstRound.Wall, cpu_s = engine.FirstRound.Cpu, minor_faults = engine.FirstRound.MinorFaults },
                    baseline = new { wall_s = ort.FirstRound.Wall, cpu_s = ort.FirstRound.Cpu, minor_faults = ort.FirstRound.MinorFaults },
                },
                baseline_stages = new { decode_preprocess_cpu_s_per_image = bp.Decode, forward_cpu_s_per_image = bp.Forward },
                engine_stages = stages.Select(s => new { name = s.Name, wall_s_per_image = s.Wall / n, cpu_s_per_image = s.Cpu / n }),
                decode_by_format = formats.Select(f => new { f.Format, f.Images, engine_cpu_s_per_image = f.EngineCpu / f.Images, imagesharp_cpu_s_per_image = f.ImageSharpCpu / f.Images }),
                dct_scaled_cosine_min = scaledCos.Length > 0 ? scaledCos[0] : (double?)null,
                dct_scaled_cosine_median = scaledCos.Length > 0 ? scaledCos[scaledCos.Length / 2] : (double?)null,
                utc = DateTime.UtcNow,
            }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return;
        }
        Console.WriteLine(BenchMachine.Line);
        Console.WriteLine($"ingest: {n} files ({distinct} distinct from {o.Dir}), batch {o.Batch}, default model (ResNet-18) on {o.Device}, "
            + $"{o.Repeat} interleaved rounds after {o.Warmup} warm-up round(s) each, engine decode workers "
            + $"{(o.DecodeWorkers > 0 ? o.DecodeWorkers : Environment.ProcessorCount)}, {DateTime.UtcNow:u}");
        Console.WriteLine($"  {"pipeline",-42} {"img/s best",10} {"img/s median",12} {"CPU-s/img",10} {"CPU/wall",9} {"new pages/img",14}");
        foreach (var s in new[] { engine, ort })
            Console.WriteLine($"  {s.Name,-42} {n / s.Best,10:F1} {n / s.Median,12:F1} {s.CpuPerRound / n,10:F4} {s.CpuPerRound / s.Rounds.Average(r => r.Wall),9:F2} {s.Rounds.Average(r => r.MinorFaults) / n,14:F0}");
        Console.WriteLine($"  engine / baseline: {ratioBest:F2}× best, {ratioMedian:F2}× median; CPU-s ratio {ort.CpuPerRound / engine.CpuPerRound:F2}× (baseline ÷ engine)");
        Console.WriteLine($"  cosine engine vs baseline per image: min {cosMin:F4}, median {cosMedian:F4} (resampling details differ; not asserted)");
        foreach (var s in new[] { engine, ort })
            if (s.ThreadCpu.Count > 0)
                Console.WriteLine($"  {s.Name} CPU-ms/img by thread: "
                    + string.Join("; ", s.ThreadCpu.OrderByDescending(g => g.Value).Select(g => $"{g.Key} {g.Value / s.Rounds.Count / n * 1e3:F1}")));
        Console.WriteLine($"  set-up, not in the rounds: engine Open {engine.Setup:F1} s, ORT session {ort.Setup:F1} s; "
            + $"first round after it (warm-up, not in the rounds): engine {engine.FirstRound.Wall:F1} s wall, {engine.FirstRound.Cpu:F1} CPU-s, "
            + $"{engine.FirstRound.MinorFaults / n} new pages/img; baseline {ort.FirstRound.Wall:F1} s, {ort.FirstRound.Cpu:F1} CPU-s, {ort.FirstRound.MinorFaults / n} new pages/img");
        Console.WriteLine($"  baseline phases: ImageSharp decode+preprocess {bp.Decode * 1e3:F2} CPU-ms/img ({bp.DecodeWall * 1e3:F2} wall-ms/img on {Environment.ProcessorCount} cores), "
            + $"ORT forward {bp.Forward * 1e3:F2} CPU-ms/img ({bp.ForwardWall * 1e3:F2} wall-ms/img)");
        if (stages.Count == 0) return;
        double Cpu(string name) => stages.First(s => s.Name == name).Cpu;
        double Wall(string name) => stages.First(s => s.Name == name).Wall;
        // The engine's own path: embed = preprocess + upload + forward, so the parts are read + hash, decode, embed, store.
        double total = Cpu("read + hash") + Cpu("decode") + Cpu("embed") + Cpu("store");
        Console.WriteLine($"  engine stages, each alone, one batch at a time: {"CPU-ms/img",10} {"wall-ms/img",11} {"CPU share",9}");
        void Line(string name, double cpu, double? wall) =>
            Console.WriteLine($"    {name,-44} {cpu / n * 1e3,10:F2} {(wall is { } w ? (w / n * 1e3).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "–"),11} {cpu / total,9:P0}");
        Line("read + SHA-256", Cpu("read + hash"), Wall("read + hash"));
        Line("decode (full size, 1 thread)", Cpu("decode"), Wall("decode"));
        Line("preprocess + upload (embed − forward)", Cpu("embed") - Cpu("forward"), null); // a difference of walls means nothing on a shared machine
        Line("forward (model alone, host tensor in)", Cpu("forward"), Wall("forward"));
        Line("store (segment append, fsync, SQLite)", Cpu("store"), Wall("store"));
        Console.WriteLine($"    {"sum",-44} {total / n * 1e3,10:F2} {"",11} (end to end: {engine.CpuPerRound / n * 1e3:F2} CPU-ms/img, JIT and pipeline threads included)");
        Console.WriteLine($"    for comparison, the baseline's ImageSharp on 1 thread: decode {Cpu("ImageSharp decode") / n * 1e3:F2} CPU-ms/img, "
            + $"resize + normalise {Cpu("ImageSharp resize + normalise") / n * 1e3:F2}");
        Console.WriteLine("    decode by format, this thread's CPU-ms/img, engine vs ImageSharp: "
            + string.Join("; ", formats.Select(f => $"{f.Format} ({f.Images}) {f.EngineCpu / f.Images * 1e3:F2} vs {f.ImageSharpCpu / f.Images * 1e3:F2}")));
        Console.WriteLine($"    what-if, not the engine's path: DCT-scaled JPEG decode {Cpu("what-if: DCT-scaled decode") / n * 1e3:F2} CPU-ms/img, "
            + $"its preprocess + upload {(Cpu("what-if: embed of those") - Cpu("forward")) / n * 1e3:F2}; vectors vs full-size decode: "
            + $"cosine min {scaledCos[0]:F4}, median {scaledCos[scaledCos.Length / 2]:F4}");
    }
}
