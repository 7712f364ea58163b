// Embed benchmark: images/s from decoded pixels to L2-normalised vectors with the upload of the next batch
// overlapping the current batch's compute (ImageEmbedder.Embed keeps two batches in flight), against the
// same embedder used one batch at a time (Submit then Complete at once) on the same images in the same run.
// `gpusearch-bench embed [--dir DIR] [--model M --spec S] [--batch 32] [--images 256] [--repeat 3] [--device D] [--json]`
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Imaging;

namespace GpuSearch.Bench;

/// <summary>The overlapped-upload embedding benchmark.</summary>
public static class EmbedBench
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        string device = "auto", dir = Path.Combine(Path.GetDirectoryName(DefaultModel.ModelsRoot)!, "demo", "photos");
        string? model = null, specName = null;
        int batch = 32, count = 256, repeat = 3;
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--device": device = Next(); break;
                case "--dir": dir = Next(); break;
                case "--model": model = Next(); break;
                case "--spec": specName = Next(); break;
                case "--batch": batch = int.Parse(Next()); break;
                case "--images": count = int.Parse(Next()); break;
                case "--repeat": repeat = int.Parse(Next()); break;
                case "--json": json = true; break;
                default: throw new ArgumentException($"embed: unknown option {args[i]}");
            }
        }
        var spec = specName is null ? DefaultModel.Preprocess
            : File.Exists(specName) ? PreprocessSpecJson.Read(File.ReadAllText(specName)) : PreprocessPresets.Get(specName);
        model ??= DefaultModel.RequirePath();
        if (!Directory.Exists(dir)) throw new ArgumentException($"no image folder {dir} (run scripts/fetch-demo-photos.sh or pass --dir)");

        var decoded = ImageFiles.Expand([dir]).Select(f => ImageDecoder.DecodeFile(f, new DecodeOptions { MinTargetSize = (224, 224) })).ToArray();
        if (decoded.Length == 0) throw new ArgumentException($"no images in {dir}");
        var images = Enumerable.Range(0, count).Select(i => decoded[i % decoded.Length]).ToArray();

        using var dev = DeviceRegistry.Default.Open(device);
        using var embedder = new ImageEmbedder(dev, model, spec, null, batch);
        var vectors = new float[images.Length * embedder.Dimension];

        double Serial()
        {
            var sw = Stopwatch.StartNew();
            for (int start = 0; start < images.Length; start += batch)
            {
                int n = Math.Min(batch, images.Length - start);
                using var p = embedder.Submit(new ArraySegment<DecodedImage>(images, start, n));
                embedder.Complete(p, vectors.AsSpan(start * embedder.Dimension, n * embedder.Dimension));
            }
            return images.Length / sw.Elapsed.TotalSeconds;
        }
        double Overlapped()
        {
            var sw = Stopwatch.StartNew();
            embedder.Embed(images, vectors);
            return images.Length / sw.Elapsed.TotalSeconds;
        }

        Serial(); // warm-up: kernels, plans, weight tables for every image size
        Overlapped();
        double serial = 0, overlapped = 0;
        for (int r = 0; r < repeat; r++) // interleaved so drift in machine load hits both alike
        {
            serial = Math.Max(serial, Serial());
            overlapped = Math.Max(overlapped, Overlapped());
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "embed", device = dev.Info.Id, device_name = dev.Info.Name, model = Path.GetFileName(Path.GetDirectoryName(model)) + "/" + Path.GetFileName(model),
                cpu_model = GpuSearch.Models.Tuning.DeviceClassifier.HostCpuModel, isa = GpuSearch.Models.Tuning.DeviceClassifier.HostCpuIsa,
                images = images.Length, distinct_images = decoded.Length, batch, repeat,
                serial_images_per_s = serial, overlapped_images_per_s = overlapped, ratio = overlapped / serial, utc = DateTime.UtcNow,
            }));
            return 0;
        }
        Console.WriteLine(BenchMachine.Line);
        Console.WriteLine($"embed {images.Length} decoded images ({decoded.Length} distinct from {dir}), batch {batch}, {model} on {dev.Info.Id} ({dev.Info.Name}), best of {repeat}, {DateTime.UtcNow:u}");
        Console.WriteLine($"  one batch at a time         : {serial,8:F1} img/s (baseline)");
        Console.WriteLine($"  next upload beside compute  : {overlapped,8:F1} img/s");
        Console.WriteLine($"  ratio                       : {overlapped / serial,8:F2}x");
        return 0;
    }
}
