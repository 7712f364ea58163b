// Model inference against ONNX Runtime's CPU execution provider (and, with --torch ARCH, PyTorch on the CPU through
// bench/models/torch_worker.py), interleaved run by run on the same input: images/s and CPU-seconds per image (other
// tenants inflate wall time, not CPU time) for the engine with the shipped default conv tiles, the engine with this
// device's tuned tiles (`gpusearch tune`), ORT and PyTorch; outputs are checked by cosine similarity per image
// against ORT's. A model the engine refuses gets a "refused: <reason>" row and the baselines still run.
// Names the CPU model and vector ISA. bench/models/run.sh exports ViT-B/16 and Swin-T and calls this.
// `--tiles 6x32,3x64` adds one engine contender per CPU register tile (rows × pixels, TuningDefaults.CpuTiles), for
// choosing a device class's default (e.g. AVX2 code on an AVX-512 host: POCL_LLVM_CPU_NAME=haswell).
// `gpusearch-bench ort [--model M] [--name N] [--batch 8[,1,32]] [--repeat 3] [--device cpu] [--ort-threads 0]
//   [--tiles RxP[xK],..] [--torch ARCH [--torch-threads 2]] [--input-range LO,HI] [--ort-profile PREFIX] [--ort-keep-spinning] [--json]`
// ORT's workers stop spinning when its Run returns (OrtOptions.Create); --ort-keep-spinning lets them spin on into the
// next contender's run, as in rows measured before 2026-12-03.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Tuning;
using Ort = Microsoft.ML.OnnxRuntime;

namespace GpuSearch.Bench;

/// <summary>The engine-vs-ONNX-Runtime inference benchmark.</summary>
public static class OrtBench
{
    private sealed record Contender(string Name, Func<(double Wall, double Cpu, float[] Output)> Run)
    {
        public List<(double Wall, double Cpu)> Times { get; } = [];
    }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string device = "cpu", model = DefaultModel.ModelPath;
        string? torchArch = null, name = null, ortProfile = null;
        int[] batches = [8];
        int repeat = 3, ortThreads = 0, torchThreads = 2;
        float lo = -128, hi = 127;
        bool json = false, ortKeepSpinning = false;
        var extraTiles = new List<(string Name, ConvTiles Tiles)>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--device": device = Next(); break;
                case "--model": model = Next(); break;
                case "--name": name = Next(); break;
                case "--batch": batches = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--repeat": repeat = int.Parse(Next()); break;
                case "--ort-threads": ortThreads = int.Parse(Next()); break;
                case "--torch": torchArch = Next(); break;
                case "--torch-threads": torchThreads = int.Parse(Next()); break;
                case "--input-range":
                    var r = Next().Split(',');
                    if (r.Length != 2) throw new ArgumentException("--input-range needs LO,HI");
                    (lo, hi) = (float.Parse(r[0], CultureInfo.InvariantCulture), float.Parse(r[1], CultureInfo.InvariantCulture));
                    break;
                case "--json": json = true; break;
                case "--ort-profile": ortProfile = Next(); break;
                case "--ort-keep-spinning": ortKeepSpinning = true; break;
                case "--tiles":
                    foreach (var t in Next().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        // ROWSxPIXELS, or ROWSxPIXELSxPANEL (deepest K panel gathered at once, a multiple of 64)
                        var rp = t.Split('x', 'X', '×');
                        int depth = 0;
                        if (rp.Length is < 2 or > 3 || !int.TryParse(rp[0], out var rr) || !int.TryParse(rp[1], out var px) || rr < 1 || px < 1
                            || (rp.Length == 3 && (!int.TryParse(rp[2], out depth) || depth < 64 || depth % 64 != 0)))
                            throw new ArgumentException($"--tiles: '{t}' is not ROWSxPIXELS[xPANEL]");
                        var tiles = TuningDefaults.CpuTiles(rr, px);
                        if (depth > 0) tiles = tiles with { PanelDepth = depth };
                        extraTiles.Add(($"engine, tiles {t}", tiles));
                    }
                    break;
                default: throw new ArgumentException($"ort: unknown option {args[i]}");
            }
        }
        if (!File.Exists(model)) throw new ArgumentException($"no model {model}");
        if (batches.Any(b => b is < 1 or > 256) || repeat < 1 || torchThreads < 1) throw new ArgumentException("--batch must be 1..256, --repeat and --torch-threads ≥ 1");
        name ??= Path.GetFileName(model);

        using var dev = DeviceRegistry.Default.Open(device);
        var defaultTiles = TunedConvTiles.Default(dev.Info);
        var tunedEntry = TuningCache.DefaultDirectory is { } dir ? TuningCache.TryRead(dir, dev.Info, w => Console.Error.WriteLine($"warning: {w}")) : null;
        var bytes = File.ReadAllBytes(model);
        using var ortOptions = OrtOptions.Create(ortThreads, ortKeepSpinning);
        // ORT's own per-node trace (Chrome trace JSON, kernel_time events), to set beside `gpusearch run-onnx --profile`.
        if (ortProfile is not null) { ortOptions.EnableProfiling = true; ortOptions.ProfileOutputPathPrefix = ortProfile; }
        var ort = new Ort.InferenceSession(bytes, ortOptions);
        string inputName = ort.InputMetadata.Keys.First(), outputName = ort.OutputMetadata.Keys.First();
        if (ort.InputMetadata[inputName].Dimensions[0] > 0)
        {
            // A fixed batch (ML.NET's ResNet-18 says 1), which ORT enforces while the engine frees it at load time.
            ort.Dispose();
            ort = new Ort.InferenceSession(OnnxBatchRewrite.FreeBatch(bytes, new HashSet<string> { inputName, outputName }), ortOptions);
        }
        using var ortLife = ort;
        var (torch, torchWhy) = torchArch is null ? (null, null) : TorchWorker.Start(torchArch, torchThreads);
        using var torchLife = torch;

        var cpuModel = DeviceClassifier.HostCpuModel;
        var isa = DeviceClassifier.HostCpuIsa;
        string TilesName(ConvTiles t) => $"{t.WorkPerThreadM}×{t.WorkPerThreadN} regs, {t.TileM}×{t.TileN}×{t.TileK}";
        if (!json)
        {
            Console.WriteLine($"ort: {name}, {repeat} interleaved runs per batch{(ortKeepSpinning ? " (ORT workers left spinning after Run)" : "")}, {dev.Info.Id} ({dev.Info.Name}); CPU {cpuModel}, {isa}, {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            Console.WriteLine($"  default tiles {TilesName(defaultTiles)}; tuned tiles {(tunedEntry is null ? "none cached (run gpusearch tune)" : TilesName(tunedEntry.Tiles))}; ORT intra-op threads {(ortThreads == 0 ? "default" : ortThreads)}; PyTorch {(torchArch is null ? "not asked (--torch ARCH)" : torch is null ? $"unavailable: {torchWhy}" : $"{torchArch}, {torchThreads} threads")}");
        }
        var all = new List<object>();
        foreach (var batch in batches)
        {
            var rows = RunBatch(model, name, batch, repeat, lo, hi, dev, defaultTiles, tunedEntry?.Tiles, extraTiles, inputName, outputName, ort, torch);
            all.Add(new { batch, rows });
            if (json) continue;
            Console.WriteLine($"  batch {batch}:");
            Console.WriteLine($"  {"contender",-30} {"img/s best",10} {"img/s median",12} {"CPU-s/img",10} {"wall-s/img",10} {"vs ORT",7} {"vs PyTorch",10} {"min cos",10}");
            foreach (var r in rows)
                Console.WriteLine(r.Refused is { } why ? $"  {r.Contender,-30} refused: {why}"
                    : $"  {r.Contender,-30} {r.ImagesPerS,10:F2} {r.MedianImagesPerS,12:F2} {r.CpuSPerImage,10:F4} {r.WallSPerImage,10:F4} {Ratio(r.VsOrt),7} {Ratio(r.VsTorch),10} {r.MinCosineVsOrt,10:F7}");
        }
        if (ortProfile is not null) Console.Error.WriteLine($"ORT per-node profile -> {ort.EndProfiling()}");
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "ort", model = name, repeat, ort_keep_spinning = ortKeepSpinning, device = dev.Info.Id, device_name = dev.Info.Name,
                cpu_model = cpuModel, isa, cores = Environment.ProcessorCount, default_tiles = TilesName(defaultTiles),
                tuned_tiles = tunedEntry is null ? null : TilesName(tunedEntry.Tiles), torch = torchArch, torch_unavailable = torchWhy,
                batches = all, utc = DateTime.UtcNow,
            }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        return 0;
    }

    private static string Ratio(double? r) => r is { } v ? $"{v:F2}×" : "–";

    internal sealed record Row(string Contender, string? Refused = null, double ImagesPerS = 0, double MedianImagesPerS = 0, double CpuSPerImage = 0,
        double WallSPerImage = 0, double? VsOrt = null, double? VsTorch = null, double? MinCosineVsOrt = null);

    /// <summary>
    /// One batch size: the engine (default tiles, and tuned tiles when cached), ORT and PyTorch, interleaved run by run
    /// so load from other tenants hits every contender alike. An engine that refuses the model gets a row saying why.
    /// </summary>
    private static List<Row> RunBatch(string model, string name, int batch, int repeat, float lo, float hi, ComputeDevice dev, ConvTiles defaultTiles,
        ConvTiles? tuned, List<(string Name, ConvTiles Tiles)> extraTiles, string inputName, string outputName, Ort.InferenceSession ort, TorchWorker? torch)
    {
        var rng = new Random(7);
        // The model's own image shape where it names one (a single-layer model cut from a network, say), else 3×224×224.
        var dims = ort.InputMetadata[inputName].Dimensions;
        int[] shape = dims.Length == 4 && dims[1] > 0 && dims[2] > 0 && dims[3] > 0 ? [batch, dims[1], dims[2], dims[3]] : [batch, 3, 224, 224];
        var input = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (int i = 0; i < input.Length; i++) input[i] = lo + (float)rng.NextDouble() * (hi - lo);
        var host = new HostTensor(input, shape);
        var feed = new Dictionary<string, HostTensor> { [inputName] = host };
        var ortInput = new Ort.Tensors.DenseTensor<float>(input, shape);

        var refused = new List<Row>();
        var sessions = new List<InferenceSession>();
        var contenders = new List<Contender>();
        (string, ConvTiles?)[] engines = [("engine, default tiles", defaultTiles), ("engine, tuned tiles", tuned), .. extraTiles.Select(t => (t.Name, (ConvTiles?)t.Tiles))];
        foreach (var (label, tiles) in engines)
        {
            if (tiles is null) continue;
            try
            {
                var session = new InferenceSession(model, dev, new SessionOptions { BatchSizes = [batch], ConvTiles = tiles });
                sessions.Add(session);
                contenders.Add(new(label, () => Timed(() => session.Run(feed)[outputName].Data)));
            }
            catch (Exception e) when (e is NotSupportedException or InvalidDataException or ArgumentException)
            {
                var why = e.Message.ReplaceLineEndings(" ");
                refused.Add(new Row(label, Refused: why.Length > 300 ? why[..300] + " …" : why));
                break; // the other engine sessions would refuse alike
            }
        }
        try
        {
            contenders.Add(new("ONNX Runtime 1.31.1 CPU EP", () => Timed(() =>
            {
                using var r = ort.Run([Ort.NamedOnnxValue.CreateFromTensor(inputName, ortInput)], [outputName]);
                return r.First().AsTensor<float>().ToArray();
            })));
            Contender? torchC = null;
            if (torch is not null)
            {
                torch.Load(host);
                torchC = new Contender("PyTorch CPU (eager, no_grad)", () => torch.Run(keepOutput: false) is var t ? (t.Wall, t.Cpu, []) : default);
                contenders.Add(torchC);
            }
            // Warm-up (plans, kernels, weights) and the outputs compared: ORT's is the reference.
            var outputs = contenders.Select(c => c == torchC ? torch!.Run(keepOutput: true).Output! : c.Run().Output).ToList();
            for (int r = 0; r < repeat; r++)
                foreach (var c in contenders)
                {
                    var (wall, cpu, _) = c.Run();
                    c.Times.Add((wall, cpu));
                }
            int ortAt = contenders.FindIndex(c => c.Name.StartsWith("ONNX", StringComparison.Ordinal));
            var ortOut = outputs[ortAt];
            int dim = ortOut.Length / batch;
            double Best(Contender c) => batch / c.Times.Min(t => t.Wall);
            double ortBest = Best(contenders[ortAt]);
            double? torchBest = torchC is null ? null : Best(torchC);
            var rows = contenders.Select((c, i) =>
            {
                var median = c.Times.Select(t => t.Wall).Order().ElementAt(c.Times.Count / 2);
                double? cos = outputs[i].Length == ortOut.Length
                    ? Enumerable.Range(0, batch).Min(b => Cosine(outputs[i].AsSpan(b * dim, dim), ortOut.AsSpan(b * dim, dim))) : null;
                return new Row(c.Name, null, Best(c), batch / median, c.Times.Average(t => t.Cpu) / batch, c.Times.Average(t => t.Wall) / batch,
                    Best(c) / ortBest, torchBest is { } tb ? Best(c) / tb : null, cos);
            }).ToList();
            return [.. refused, .. rows];
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }

    /// <summary>Runs <paramref name="f"/> and measures its wall time and this process's CPU time (all threads, PoCL's included).</summary>
    private static (double Wall, double Cpu, float[] Output) Timed(Func<float[]> f)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var y = f();
        return (sw.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds, y);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }
}
