// CNN inference against ONNX Runtime's CPU execution provider, interleaved in one process on the same input:
// images/s and CPU-seconds per image (other tenants inflate wall time, not our CPU time) for the engine with the
// shipped default conv tiles, the engine with this device's tuned tiles (`gpusearch tune`), and ORT; outputs
// are checked equal by cosine similarity per image. Names the CPU model and vector ISA in every row.
// `--tiles 6x32,3x64` adds one engine contender per CPU register tile (rows × pixels, TuningDefaults.CpuTiles), for
// choosing a device class's default (e.g. AVX2 code on an AVX-512 host: POCL_LLVM_CPU_NAME=haswell).
// `gpusearch-bench ort [--model M] [--batch 8] [--repeat 3] [--device cpu] [--ort-threads 0] [--tiles RxP,..] [--json]`
using System.Diagnostics;
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
    private sealed record Contender(string Name, Func<float[]> Run)
    {
        public List<(double Wall, double Cpu)> Times { get; } = [];
    }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string device = "cpu", model = DefaultModel.ModelPath;
        int batch = 8, repeat = 3, ortThreads = 0;
        bool json = false;
        var extraTiles = new List<(string Name, ConvTiles Tiles)>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--device": device = Next(); break;
                case "--model": model = Next(); break;
                case "--batch": batch = int.Parse(Next()); break;
                case "--repeat": repeat = int.Parse(Next()); break;
                case "--ort-threads": ortThreads = int.Parse(Next()); break;
                case "--json": json = true; break;
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
        if (batch is < 1 or > 256 || repeat < 1) throw new ArgumentException("--batch must be 1..256 and --repeat ≥ 1");

        using var dev = DeviceRegistry.Default.Open(device);
        var defaultTiles = TunedConvTiles.Default(dev.Info);
        var tunedEntry = TuningCache.DefaultDirectory is { } dir ? TuningCache.TryRead(dir, dev.Info, w => Console.Error.WriteLine($"warning: {w}")) : null;
        using var engineDefault = new InferenceSession(model, dev, new SessionOptions { BatchSizes = [batch], ConvTiles = defaultTiles });
        using var engineTuned = tunedEntry is null ? null
            : new InferenceSession(model, dev, new SessionOptions { BatchSizes = [batch], ConvTiles = tunedEntry.Tiles });
        var extraEngines = extraTiles.Select(t => (t.Name, Session: new InferenceSession(model, dev, new SessionOptions { BatchSizes = [batch], ConvTiles = t.Tiles }))).ToList();
        using var disposeExtra = new DisposeAll(extraEngines.Select(e => (IDisposable)e.Session));
        string inputName = engineDefault.InputNames[0], outputName = engineDefault.OutputNames[0];

        var rng = new Random(7);
        var input = new float[batch * 3 * 224 * 224];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 255 - 128);
        var feed = new Dictionary<string, HostTensor> { [inputName] = new HostTensor(input, [batch, 3, 224, 224]) };

        var ortModel = OnnxBatchRewrite.FreeBatch(File.ReadAllBytes(model), new HashSet<string> { inputName, outputName });
        using var ortOptions = new Ort.SessionOptions { IntraOpNumThreads = ortThreads };
        using var ort = new Ort.InferenceSession(ortModel, ortOptions);
        var ortInput = new Ort.Tensors.DenseTensor<float>(input, [batch, 3, 224, 224]);

        var contenders = new List<Contender>
        {
            new("engine, default tiles", () => engineDefault.Run(feed)[outputName].Data),
        };
        if (engineTuned is not null) contenders.Add(new("engine, tuned tiles", () => engineTuned.Run(feed)[outputName].Data));
        foreach (var (name, session) in extraEngines) contenders.Add(new(name, () => session.Run(feed)[outputName].Data));
        contenders.Add(new("ONNX Runtime 1.31.1 CPU EP", () =>
        {
            using var r = ort.Run([Ort.NamedOnnxValue.CreateFromTensor(inputName, ortInput)], [outputName]);
            return r.First().AsTensor<float>().ToArray();
        }));

        var outputs = contenders.Select(c => c.Run()).ToList(); // warm-up: plans, kernels, weights
        for (int r = 0; r < repeat; r++) // interleaved so load from other tenants hits every contender alike
            foreach (var c in contenders)
            {
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                c.Run();
                c.Times.Add((sw.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds));
            }

        var ortOut = outputs[^1];
        int dim = ortOut.Length / batch;
        var cosines = outputs.Select(o => Enumerable.Range(0, batch).Min(b => Cosine(o.AsSpan(b * dim, dim), ortOut.AsSpan(b * dim, dim)))).ToList();
        var cpuModel = DeviceClassifier.HostCpuModel;
        var isa = DeviceClassifier.HostCpuIsa;
        var ortBest = batch / contenders[^1].Times.Min(t => t.Wall);
        var rows = contenders.Select((c, i) =>
        {
            var best = c.Times.MinBy(t => t.Wall);
            var median = c.Times.Select(t => t.Wall).Order().ElementAt(c.Times.Count / 2);
            return new
            {
                contender = c.Name, images_per_s = batch / best.Wall, median_images_per_s = batch / median,
                cpu_s_per_image = c.Times.Average(t => t.Cpu) / batch, wall_s_per_image = c.Times.Average(t => t.Wall) / batch,
                vs_ort = batch / best.Wall / ortBest, min_cosine_vs_ort = cosines[i],
            };
        }).ToList();
        string TilesName(ConvTiles t) => $"{t.WorkPerThreadM}×{t.WorkPerThreadN} regs, {t.TileM}×{t.TileN}×{t.TileK}";
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "ort", model = Path.GetFileName(model), batch, repeat, device = dev.Info.Id, device_name = dev.Info.Name,
                cpu_model = cpuModel, isa, cores = Environment.ProcessorCount, default_tiles = TilesName(defaultTiles),
                tuned_tiles = tunedEntry is null ? null : TilesName(tunedEntry.Tiles), rows, utc = DateTime.UtcNow,
            }));
            return 0;
        }
        Console.WriteLine($"ort: {Path.GetFileName(model)} batch {batch}, {repeat} interleaved runs, {dev.Info.Id} ({dev.Info.Name}); CPU {cpuModel}, {isa}, {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
        Console.WriteLine($"  default tiles {TilesName(defaultTiles)}; tuned tiles {(tunedEntry is null ? "none cached (run gpusearch tune)" : TilesName(tunedEntry.Tiles))}");
        Console.WriteLine($"  {"contender",-28} {"img/s best",10} {"img/s median",12} {"CPU-s/img",10} {"wall-s/img",10} {"vs ORT",7} {"min cos",10}");
        foreach (var r in rows)
            Console.WriteLine($"  {r.contender,-28} {r.images_per_s,10:F2} {r.median_images_per_s,12:F2} {r.cpu_s_per_image,10:F4} {r.wall_s_per_image,10:F4} {r.vs_ort,6:F2}× {r.min_cosine_vs_ort,10:F7}");
        return 0;
    }

    private sealed class DisposeAll(IEnumerable<IDisposable> items) : IDisposable
    {
        private readonly List<IDisposable> _items = [.. items];

        public void Dispose() { foreach (var d in _items) d.Dispose(); }
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }
}
