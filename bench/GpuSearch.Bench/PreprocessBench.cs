// Preprocess benchmark: images/s of GpuPreprocessor (host span in → NCHW tensor slot out, upload included)
// against the scalar C# reference measured in the same run on the same images. Entry point for Program.cs
// to dispatch as `gpusearch-bench preprocess [--device auto] [--spec torchvision] [--size 640x480] [--images 64]`.
using System.Diagnostics;
using GpuSearch.Compute;
using GpuSearch.Imaging;

namespace GpuSearch.Bench;

/// <summary>The preprocess benchmark.</summary>
public static class PreprocessBench
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string device = "auto", preset = "torchvision";
        int width = 640, height = 480, images = 64;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--device": device = args[i + 1]; break;
                case "--spec": preset = args[i + 1]; break;
                case "--images": images = int.Parse(args[i + 1]); break;
                case "--size":
                    var parts = args[i + 1].Split('x');
                    (width, height) = (int.Parse(parts[0]), int.Parse(parts[1]));
                    break;
                default:
                    Console.Error.WriteLine($"preprocess: unknown option {args[i]}");
                    return 2;
            }
        }
        var spec = File.Exists(preset) ? PreprocessSpecJson.Read(File.ReadAllText(preset)) : PreprocessPresets.Get(preset);
        var rng = new Random(42);
        var rgb = new byte[3 * width * height];
        rng.NextBytes(rgb);

        using var dev = DeviceRegistry.Default.Open(device);
        using var pre = new GpuPreprocessor(dev, spec);
        var (ow, oh) = pre.OutputSize(width, height);
        const int batch = 32;
        using var tensor = pre.AllocateBatch(batch, ow, oh);
        pre.Run(rgb, width, height, tensor, 0); // warm-up: kernel build, plan upload
        dev.Stream.Synchronize();

        var sw = Stopwatch.StartNew();
        for (int i = 0; i < images; i++) pre.Run(rgb, width, height, tensor, i % batch);
        dev.Stream.Synchronize();
        double gpu = images / sw.Elapsed.TotalSeconds;

        int refImages = Math.Max(1, Math.Min(images, 8));
        var plan = new PreprocessPlan(spec, width, height);
        sw.Restart();
        for (int i = 0; i < refImages; i++) PreprocessReference.Run(plan, rgb);
        double reference = refImages / sw.Elapsed.TotalSeconds;

        Console.WriteLine($"preprocess {preset} {width}x{height} -> {ow}x{oh} {spec.DType} on {dev.Info.Id} ({dev.Info.Name}), {DateTime.UtcNow:u}");
        Console.WriteLine($"  gpu preprocessor : {gpu,10:F1} img/s ({images} images, upload included)");
        Console.WriteLine($"  scalar reference : {reference,10:F1} img/s ({refImages} images, 1 thread)");
        Console.WriteLine($"  ratio            : {gpu / reference,10:F2}x");
        return 0;
    }
}
