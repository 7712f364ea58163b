// `run-onnx --bench 1,8,64` / `--profile`: images/s per batch size and device time per op type, for
// bench/cnn and for finding where inference time goes.
using System.Diagnostics;
using GpuSearch.Compute;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Ops;

namespace GpuSearch.Cli.Commands;

/// <summary>Throughput and profile reports of run-onnx.</summary>
public static class RunOnnxBench
{
    /// <summary>Times each batch size (warm-up run first; best of at least <paramref name="minRuns"/> timed runs and of at least ~2 s in total) and prints images/s.</summary>
    public static void Run(FileInfo model, string[] inputSpecs, string deviceSelection, bool fp16Weights, string? batches, bool profile, TextWriter output, int minRuns = 3, string? profileCsv = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minRuns, 1);
        var inputs = inputSpecs.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => Npy.Read(p[1]), StringComparer.Ordinal);
        using var dev = DeviceRegistry.Default.Open(deviceSelection);
        var sizes = (batches ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        using var session = new InferenceSession(model.FullName, dev, new SessionOptions
        {
            WeightStorage = fp16Weights ? TensorStorage.F16 : TensorStorage.F32,
            BatchSizes = sizes.Length > 0 ? sizes : SessionOptions.Default.BatchSizes,
        });
        foreach (var b in sizes)
        {
            var feed = inputs.ToDictionary(kv => kv.Key, kv => Repeat(kv.Value, b));
            session.Run(feed); // plans, compiles kernels, uploads weights
            double best = double.MaxValue, total = 0;
            int runs = 0;
            while (runs < minRuns || (total < 2000 && runs < 50))
            {
                var sw = Stopwatch.StartNew();
                session.Run(feed);
                var ms = sw.Elapsed.TotalMilliseconds;
                best = Math.Min(best, ms); total += ms; runs++;
            }
            output.WriteLine($"bench    batch {b,4}: {b * 1000.0 / best,8:F1} images/s (best of {runs}: {best:F1} ms; mean {total / runs:F1} ms)");
        }
        if (profile)
        {
            var first = inputs.Values.First();
            var feed = inputs.ToDictionary(kv => kv.Key, kv => kv.Value);
            session.Profile(feed);
            // Each step's best of the runs: on a shared machine one run's time per step is noisy.
            var steps = session.Profile(feed).ToList();
            for (int r = 1; r < minRuns; r++)
            {
                var again = session.Profile(feed);
                for (int i = 0; i < steps.Count; i++) if (again[i].Ms < steps[i].Ms) steps[i] = again[i];
            }
            var total = steps.Sum(s => s.Ms);
            output.WriteLine($"profile  batch {first.Shape[0]}: {total:F1} ms device time in {steps.Count} steps (each step's best of {minRuns} runs)");
            foreach (var g in steps.GroupBy(s => s.OpType).OrderByDescending(g => g.Sum(s => s.Ms)))
                output.WriteLine($"  {g.Key,-20} {g.Count(),4} steps {g.Sum(s => s.Ms),9:F2} ms {100 * g.Sum(s => s.Ms) / total,5:F1}%");
            foreach (var s in steps.OrderByDescending(s => s.Ms).Take(12))
                output.WriteLine($"  top: {s.Node} ({s.OpType}) {s.Ms:F2} ms");
            if (profileCsv is not null)
            {
                using var csv = new StreamWriter(profileCsv);
                csv.WriteLine("step,node,op_type,ms");
                for (int i = 0; i < steps.Count; i++)
                    csv.WriteLine($"{i},{Csv(steps[i].Node)},{Csv(steps[i].OpType)},{steps[i].Ms.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}");
                output.WriteLine($"profile  every step -> {profileCsv}");
            }
        }
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    private static HostTensor Repeat(HostTensor t, int batch)
    {
        int n0 = t.Shape[0];
        long row = t.Count / n0;
        var data = new float[row * batch];
        for (int i = 0; i < batch; i++) Array.Copy(t.Data, row * (i % n0), data, row * i, row);
        return new HostTensor(data, [batch, .. t.Shape[1..]]);
    }
}
