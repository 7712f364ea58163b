// Decode benchmark: JPEG images/s per core, full and DCT-scaled, against tjbench (libjpeg-turbo's own) and PIL
// on the same files in the same run; plus the whole input pipeline (read + decode on N threads + GPU
// preprocessing into a device tensor) in images/s.
// usage: gpusearch-bench decode [--dir DIR] [--size 224] [--repeat 3] [--device auto] [--json]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GpuSearch.Compute;
using GpuSearch.Imaging;

namespace GpuSearch.Bench;

public static partial class DecodeBench
{
    public static int Run(string[] args)
    {
        string dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "demo", "photos");
        string device = "auto";
        int size = 224, repeat = 3;
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dir": dir = Next(); break;
                case "--size": size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--device": device = Next(); break;
                case "--json": json = true; break;
                default: throw new ArgumentException($"decode: unknown option {args[i]}");
            }
        }
        var files = Directory.Exists(dir)
            ? Directory.GetFiles(dir).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase)).Order().ToArray()
            : throw new ArgumentException($"--dir {dir} does not exist (scripts/fetch-demo-photos.sh fills the default)");
        if (files.Length == 0) throw new ArgumentException($"no JPEG files in {dir}");
        var blobs = files.Select(File.ReadAllBytes).ToArray();
        var scaledOpts = new DecodeOptions { MinTargetSize = (size, size) };

        double Ours(DecodeOptions? o)
        {
            double best = double.MaxValue;
            for (int r = 0; r <= repeat; r++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < blobs.Length; i++) ImageDecoder.Decode(blobs[i], files[i], o);
                if (r > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return blobs.Length / best;
        }
        var oursFull = Ours(null);
        var oursScaled = Ours(scaledOpts);

        // tjbench per file at the same DCT scale our decoder picked for it.
        double? TjBench(bool scaled)
        {
            double seconds = 0;
            for (int i = 0; i < files.Length; i++)
            {
                var extra = "";
                if (scaled)
                {
                    var img = ImageDecoder.Decode(blobs[i], files[i], scaledOpts);
                    var eighths = (int)Math.Round(8.0 * img.Width / img.OriginalWidth);
                    extra = eighths < 8 ? $" -scale {eighths}/8" : "";
                }
                var fps = RunTool("tjbench", $"\"{files[i]}\" -rgb -benchtime 0.3 -warmup 0.1 -nowrite{extra}", FrameRate());
                if (fps is null) return null;
                seconds += 1 / fps.Value;
            }
            return files.Length / seconds;
        }
        var tjFull = TjBench(false);
        var tjScaled = TjBench(true);

        var py = Environment.GetEnvironmentVariable("GPUSEARCH_PYTHON") ?? "/usr/bin/python3";
        var script = Path.Combine(AppContext.BaseDirectory, "pil_decode.py");
        if (!File.Exists(script)) script = Path.Combine(FindRepo(), "bench", "pil_decode.py");
        var pilOut = RunProcess(py, $"\"{script}\" {size} {repeat} " + string.Join(' ', files.Select(f => $"\"{f}\"")));
        double? pilFull = null, pilScaled = null;
        if (pilOut is not null)
        {
            using var doc = JsonDocument.Parse(pilOut);
            pilFull = doc.RootElement.GetProperty("full").GetDouble();
            pilScaled = doc.RootElement.GetProperty("scaled").GetDouble();
        }

        var pipeline = PipelineImagesPerSecond(files, device, size, out var deviceName);

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                files = files.Length, dir, size, ours_full = oursFull, ours_scaled = oursScaled, tjbench_full = tjFull, tjbench_scaled = tjScaled,
                pil_full = pilFull, pil_scaled = pilScaled, pipeline_images_per_s = pipeline, pipeline_threads = Environment.ProcessorCount, device = deviceName,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        static string R(double a, double? b) => b is null ? "n/a" : $"{a / b.Value:F2}×";
        static string V(double? v) => v is null ? "n/a" : v.Value.ToString("F0", CultureInfo.InvariantCulture);
        Console.WriteLine($"decode: {files.Length} JPEGs from {dir}, one thread, best of {repeat}; scaled = DCT-domain to ≥{size}px");
        Console.WriteLine($"{"",-8} {"ours",8} {"tjbench",8} {"PIL",8} {"vs tjbench",11} {"vs PIL",8}   (images/s per core)");
        Console.WriteLine($"{"full",-8} {oursFull,8:F0} {V(tjFull),8} {V(pilFull),8} {R(oursFull, tjFull),11} {R(oursFull, pilFull),8}");
        Console.WriteLine($"{"scaled",-8} {oursScaled,8:F0} {V(tjScaled),8} {V(pilScaled),8} {R(oursScaled, tjScaled),11} {R(oursScaled, pilScaled),8}");
        Console.WriteLine($"pipeline: read + decode ({Environment.ProcessorCount} threads, DCT-scaled) + GPU preprocess (torchvision) into a device tensor on {deviceName}: {pipeline:F0} images/s");
        return 0;
    }

    private static double PipelineImagesPerSecond(string[] files, string device, int size, out string deviceName)
    {
        using var dev = DeviceRegistry.Default.Open(device);
        deviceName = dev.Info.Id;
        using var pre = new GpuPreprocessor(dev, PreprocessPresets.Torchvision);
        const int batch = 32;
        using var tensor = pre.AllocateBatch(batch, 224, 224);
        var options = new DecodePipelineOptions { BatchSize = batch, Decode = new DecodeOptions { MinTargetSize = (size, size) } };
        double Once()
        {
            var sw = Stopwatch.StartNew();
            int n = 0;
            foreach (var b in new DecodePipeline(options).RunAsync(files).ToBlockingEnumerable())
            {
                int slot = 0;
                foreach (var item in b.Succeeded) pre.Run(item.Image!.PixelArray, item.Image.Width, item.Image.Height, tensor, slot++);
                dev.Stream.Synchronize();
                n += slot;
            }
            return n / sw.Elapsed.TotalSeconds;
        }
        Once(); // warm-up: kernel compilation, file cache
        return Math.Max(Once(), Once());
    }

    [GeneratedRegex(@"Frame rate:\s+([0-9.]+) fps")]
    private static partial Regex FrameRate();

    private static double? RunTool(string exe, string args, Regex pattern)
    {
        var output = RunProcess(exe, args);
        var m = output is null ? null : pattern.Match(output);
        return m is { Success: true } ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static string? RunProcess(string exe, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // tool not installed: baseline shown as n/a
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "GpuSearchEngine.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }
}
