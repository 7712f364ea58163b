// Where the engine's indexing time goes, for `gpusearch-bench ingest`: each stage of the add path run on its own,
// one batch at a time on the same images, with wall and process CPU seconds (on a CPU device the "device" stages
// are CPU work too, so CPU-s per image is what adds up to the end-to-end cost):
//   read + hash     the file read and its SHA-256 (the catalog's content hash), as the decode workers do
//   decode          TurboJPEG / libpng / libwebp at full size with EXIF orientation, one thread
//   embed           ImageEmbedder Submit + Complete: staging copy, upload, preprocess, forward, download, normalise
//   forward         the model alone on a host tensor of the batch (InferenceSession.Run, its input upload included)
//   store           IndexStore.Add of the batch's vectors and hashes (segment append + fsync + SQLite commit)
// "preprocess + upload" is embed − forward. For comparison, the baseline's ImageSharp decode and its resize +
// normalise, each on one thread on the same bytes, and both decoders' cost per file format (thread CPU time). Two what-if rows, not the engine's path: JPEGs decoded with DCT-domain
// scaling to ≥ 224 px (DecodeOptions.MinTargetSize) and the embed of those smaller images, with the cosine of their
// vectors against the full-size ones (the engine decodes at full size, so its vectors match PIL-style pipelines). The engine overlaps decode with the device work, so its end-to-end wall
// time is below the sum of these walls; its CPU seconds are not.
using System.Diagnostics;
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Models.Execution;
using GpuSearch.Store;

namespace GpuSearch.Bench;

/// <summary>The engine's add path split into stages, each timed alone.</summary>
internal static class IngestStages
{
    /// <summary>One stage's totals over all images.</summary>
    public sealed record Stage(string Name, double Wall, double Cpu);

    /// <summary>Decode CPU seconds of one file format (by extension), the engine's decoder and ImageSharp's, on this thread.</summary>
    public sealed record FormatDecode(string Format, int Images, double EngineCpu, double ImageSharpCpu);

    private sealed class FormatCost
    {
        public long Engine, ImageSharp;
        public int Count;
    }

    /// <summary>The stages, per-image cosines (sorted) of the DCT-scaled what-if's vectors against the engine's, and
    /// decode cost by format.</summary>
    public static (IReadOnlyList<Stage> Stages, double[] ScaledCosines, IReadOnlyList<FormatDecode> Formats) Measure(IReadOnlyList<string> files, string device, int batch, string scratch,
        IngestBaseline baseline)
    {
        string model = DefaultModel.RequirePath();
        var spec = DefaultModel.Preprocess;
        using var dev = DeviceRegistry.Default.Open(device);
        using var embedder = new ImageEmbedder(dev, model, spec, null, batch);
        using var session = new InferenceSession(model, dev, new SessionOptions { BatchSizes = [batch] });
        string input = session.InputNames[0];
        var (w, h) = embedder.InputSize;
        var fingerprint = ModelFingerprint.ForModelFile(model, PreprocessSpecJson.Write(spec), embedder.OutputName, "float32", embedder.Dimension);
        var storeDir = Path.Combine(scratch, "stages-store");
        using var store = IndexStore.Create(storeDir, new IndexMetadata(fingerprint));
        var decodeOptions = new DecodeOptions(); // the engine's: full size, its default pixel limit
        var scaledOptions = decodeOptions with { MinTargetSize = (w, h) };
        string[] names = ["read + hash", "decode", "embed", "forward", "store", "what-if: DCT-scaled decode", "what-if: embed of those",
            "ImageSharp decode", "ImageSharp resize + normalise"];
        var cosines = new List<double>();
        var formats = new Dictionary<string, FormatCost>(StringComparer.Ordinal);
        var wall = new double[names.Length];
        var cpu = new double[names.Length];
        var proc = Process.GetCurrentProcess();
        var tensor = new float[batch * 3 * w * h];
        // Pixel-like values in the model's range (an all-zero input could take cheaper paths than real ones).
        for (int i = 0; i < tensor.Length; i++) tensor[i] = (i * 7919 % 256) - 128f;

        // Warm-up: kernels, plans and weight tables for every size the first batch holds.
        var warm = files.Take(batch).Select(f => ImageDecoder.DecodeFile(f, decodeOptions)).ToArray();
        embedder.EmbedChecked(warm, new float[warm.Length * embedder.Dimension]);
        session.Run(new Dictionary<string, HostTensor> { [input] = new HostTensor(tensor, [batch, 3, h, w]) });

        for (int start = 0; start < files.Count; start += batch)
        {
            int n = Math.Min(batch, files.Count - start);
            var chunk = files.Skip(start).Take(n).ToArray();
            foreach (var f in chunk) ByFormat(f).Count++;
            var read = Timed(0, () => chunk.Select(f => { var b = File.ReadAllBytes(f); return (Bytes: b, Hash: ContentHash.Of(b)); }).ToArray());
            var images = Timed(1, () => read.Select((r, i) => ThreadCpuClock.Measure(
                () => ImageDecoder.Decode(r.Bytes, chunk[i], decodeOptions), ref ByFormat(chunk[i]).Engine)).ToArray());
            var vectors = new float[n * embedder.Dimension];
            Timed(2, () => { embedder.EmbedChecked(images, vectors); return 0; });
            var feed = new Dictionary<string, HostTensor> { [input] = new HostTensor(tensor[..(n * 3 * w * h)], [n, 3, h, w]) };
            Timed(3, () => session.Run(feed));
            var items = chunk.Select((f, i) => new ItemToAdd(f, read[i].Hash, read[i].Bytes.Length, vectors.AsMemory(i * embedder.Dimension, embedder.Dimension))).ToArray();
            Timed(4, () => store.Add(items));
            var scaled = Timed(5, () => read.Select((r, i) => ImageDecoder.Decode(r.Bytes, chunk[i], scaledOptions)).ToArray());
            var scaledVectors = new float[vectors.Length];
            Timed(6, () => { embedder.EmbedChecked(scaled, scaledVectors); return 0; });
            cosines.AddRange(IngestBench.Cosines(vectors, scaledVectors, embedder.Dimension));
            var loaded = Timed(7, () => read.Select((r, i) => ThreadCpuClock.Measure(
                () => SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(r.Bytes), ref ByFormat(chunk[i]).ImageSharp)).ToArray());
            Timed(8, () => { for (int i = 0; i < n; i++) baseline.Preprocess(loaded[i], tensor, i * 3 * w * h); return 0; });
            foreach (var image in loaded) image.Dispose();
        }
        cosines.Sort();
        return (names.Select((name, i) => new Stage(name, wall[i], cpu[i])).ToList(), [.. cosines],
            formats.Select(kv => new FormatDecode(kv.Key, kv.Value.Count, kv.Value.Engine / 1e9, kv.Value.ImageSharp / 1e9)).OrderBy(f => f.Format).ToList());

        FormatCost ByFormat(string path)
        {
            var ext = Path.GetExtension(path).ToLowerInvariant();
            if (!formats.TryGetValue(ext, out var c)) formats[ext] = c = new FormatCost();
            return c;
        }

        T Timed<T>(int stage, Func<T> f)
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var r = f();
            wall[stage] += sw.Elapsed.TotalSeconds;
            proc.Refresh();
            cpu[stage] += (proc.TotalProcessorTime - c0).TotalSeconds;
            return r;
        }
    }
}
