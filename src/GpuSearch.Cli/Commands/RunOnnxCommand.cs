// `gpusearch run-onnx MODEL --input NAME=file.npy ... --out DIR [--device D] [--fp16-weights] [--json]`:
// runs an ONNX model with the engine's kernels and writes every graph output to DIR/<output>.npy.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Ops;

namespace GpuSearch.Cli.Commands;

/// <summary>The run-onnx subcommand (public so tests can call <see cref="Run"/> directly).</summary>
public static class RunOnnxCommand
{
    /// <summary>The command definition.</summary>
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "Path of an .onnx model" };
        var inputs = new Option<string[]>("--input") { Description = "NAME=file.npy for each model input", Required = true, AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for <output>.npy files (created)", Required = true };
        var device = new Option<string>("--device") { Description = "Device: auto, cpu, cuda:N, opencl:N", DefaultValueFactory = _ => "auto" };
        var fp16 = new Option<bool>("--fp16-weights") { Description = "Store conv weights as fp16 (fp32 accumulation)" };
        var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to stdout" };
        var bench = new Option<string?>("--bench") { Description = "Also time batches of these sizes (e.g. 1,8,64; the input's images repeated) and report images/s" };
        var benchRuns = new Option<int>("--bench-runs") { Description = "Timed runs per batch size at least (after a warm-up); fewer makes huge batches affordable", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var profile = new Option<bool>("--profile") { Description = "Print device time per op type for the given input (each step's best of --bench-runs runs); every step goes to <out>/profile.csv" };
        var cmd = new Command("run-onnx", "Run an ONNX model on .npy inputs with the engine's kernels; write every output as .npy")
            { model, inputs, outDir, device, fp16, json, bench, benchRuns, profile };
        cmd.SetAction(r =>
        {
            var rc = Run(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(outDir)!, r.GetValue(device)!, r.GetValue(fp16), r.GetValue(json), Console.Out);
            if (rc == ExitCodes.Ok && (r.GetValue(bench) is not null || r.GetValue(profile)))
                RunOnnxBench.Run(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(device)!, r.GetValue(fp16), r.GetValue(bench), r.GetValue(profile), Console.Out, r.GetValue(benchRuns),
                    Path.Combine(r.GetValue(outDir)!.FullName, "profile.csv"));
            return rc;
        });
        return cmd;
    }

    /// <summary>Runs <paramref name="model"/> on the NAME=file.npy inputs and writes every output to <paramref name="outDir"/>.</summary>
    public static int Run(FileInfo model, string[] inputSpecs, DirectoryInfo outDir, string deviceSelection, bool fp16Weights, bool json, TextWriter output)
    {
        if (!model.Exists) throw new FileNotFoundException($"model file '{model.FullName}' does not exist");
        var inputs = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var spec in inputSpecs)
        {
            var eq = spec.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--input '{spec}' is not NAME=file.npy");
            var file = spec[(eq + 1)..];
            if (!File.Exists(file)) throw new FileNotFoundException($"input file '{file}' does not exist");
            inputs[spec[..eq]] = Npy.Read(file);
        }
        using var dev = DeviceRegistry.Default.Open(deviceSelection);
        // Loading a big model (and compiling kernels on first use) can take a while: say what is happening.
        Console.Error.WriteLine($"run-onnx: loading {model.Name} on {dev.Info.Id} (validate, optimise, plan; kernels compile on first use)...");
        var load = Stopwatch.StartNew();
        using var session = new InferenceSession(model.FullName, dev, new SessionOptions { WeightStorage = fp16Weights ? TensorStorage.F16 : TensorStorage.F32 });
        load.Stop();
        foreach (var n in inputs.Keys)
            if (!session.InputNames.Contains(n)) throw new ArgumentException($"model has no input '{n}' (inputs: {string.Join(", ", session.InputNames)})");
        Console.Error.WriteLine($"run-onnx: loaded in {load.Elapsed.TotalSeconds:F1} s; running...");
        var run = Stopwatch.StartNew();
        var outputs = session.Run(inputs);
        run.Stop();
        outDir.Create();
        var written = new List<object>();
        foreach (var (name, t) in outputs)
        {
            // Output names may hold characters a file name cannot; replace them.
            var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_'));
            var path = Path.Combine(outDir.FullName, safe + ".npy");
            Npy.Write(path, t);
            written.Add(new { name, path, shape = t.Shape });
        }
        var plan = session.Plans.Values.ToList();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                device = dev.Info.Id, model = model.FullName, load_ms = load.Elapsed.TotalMilliseconds, run_ms = run.Elapsed.TotalMilliseconds,
                arena_bytes = session.ArenaBytes, weight_bytes = session.WeightBytes, plans = plan.Count, steps = plan.Sum(p => p.StepCount), outputs = written,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        output.WriteLine($"device   {dev}");
        output.WriteLine($"model    {model.FullName} (loaded in {load.Elapsed.TotalMilliseconds:F0} ms)");
        output.WriteLine($"run      {run.Elapsed.TotalMilliseconds:F1} ms, {plan.Count} plan(s), {plan.Sum(p => p.StepCount)} steps; arena {session.ArenaBytes / 1048576.0:F1} MiB, weights {session.WeightBytes / 1048576.0:F1} MiB");
        foreach (var o in outputs) output.WriteLine($"output   {o.Key} [{string.Join(",", o.Value.Shape)}] -> {Path.Combine(outDir.FullName, o.Key)}.npy");
        return ExitCodes.Ok;
    }
}
