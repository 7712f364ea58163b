// gpusearch-fuzz: runs the mutation fuzzer over image and ONNX seed files for as many cases as asked and
// writes every finding's input to the output folder. Usage in README.md beside this file.
using GpuSearch.Fuzz;

var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i]] = args[i + 1];
if (args.Length % 2 != 0 || opts.Keys.Any(k => k is not ("--target" or "--cases" or "--seed" or "--seeds" or "--out" or "--timeout" or "--parallel" or "--only")))
{
    Console.Error.WriteLine("usage: gpusearch-fuzz --target images|onnx --seeds DIR[,DIR...] [--cases 10000] [--seed 1] [--out DIR] [--timeout 10] [--parallel N] [--only CASE]");
    return 2;
}
var target = opts.GetValueOrDefault("--target", "images") switch
{
    "images" => FuzzTarget.Images,
    "onnx" => FuzzTarget.Models,
    var t => null,
};
if (target is null) { Console.Error.WriteLine("error: --target must be images or onnx"); return 2; }
var exts = target == FuzzTarget.Images ? new[] { ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp" } : [".onnx"];
var seeds = opts.GetValueOrDefault("--seeds", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
    .Where(Directory.Exists)
    .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
    .Where(f => exts.Contains(Path.GetExtension(f).ToLowerInvariant()) && new FileInfo(f).Length <= 16 << 20)
    .OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
if (seeds.Count == 0) { Console.Error.WriteLine("error: no seed files found under --seeds"); return 2; }
int cases = int.Parse(opts.GetValueOrDefault("--cases", "10000"));
int seed = int.Parse(opts.GetValueOrDefault("--seed", "1"));
var timeout = TimeSpan.FromSeconds(double.Parse(opts.GetValueOrDefault("--timeout", "10")));
int parallel = int.Parse(opts.GetValueOrDefault("--parallel", Environment.ProcessorCount.ToString()));
var outDir = opts.GetValueOrDefault("--out", "fuzz-findings");

if (opts.TryGetValue("--only", out var only))
{
    // Reproduce one case in this process (e.g. the last one logged before a crash).
    var input = FuzzHarness.Case(seeds, seed, int.Parse(only));
    Console.WriteLine($"case {only}: {input.Length} bytes");
    target.Run(input);
    Console.WriteLine("accepted");
    return 0;
}

Console.WriteLine($"{target.Name}: {seeds.Count} seed files, {cases} cases, seed {seed}, {parallel} threads, {timeout.TotalSeconds:F0} s per case");
var summary = FuzzHarness.Run(target, seeds, cases, seed, timeout, parallel, Console.WriteLine);
Console.WriteLine(summary);
if (summary.Findings.Count == 0) return 0;
Directory.CreateDirectory(outDir);
foreach (var f in summary.Findings)
{
    var path = Path.Combine(outDir, $"{target.Name}-seed{seed}-case{f.Case}.bin");
    File.WriteAllBytes(path, f.Input);
    Console.WriteLine($"finding: case {f.Case}: {f.What} -> {path}");
}
return 1;
