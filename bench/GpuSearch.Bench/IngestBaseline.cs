// The baseline of `gpusearch-bench ingest`: the indexing pipeline a competent C# user would write without this
// library. Per batch, ImageSharp 2.1.13 decodes and preprocesses the images in parallel over the cores (Parallel.For)
// straight into the batch's NCHW float tensor, then ONNX Runtime 1.31.1's CPU EP (default threads) runs the same
// ResNet-18 ONNX; each output row is L2-normalised and appended to one in-memory array, written as .npy at the end.
// The preprocessing follows the engine's spec for the model (DefaultModel.Preprocess: exact, antialiased bilinear
// resize of the whole image, channel order, scale, mean, std); specs with padding, crops or trims are refused rather
// than approximated. Transparent pixels are composited onto white and EXIF orientation applied, as the engine does.
using System.Diagnostics;
using GpuSearch.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Ort = Microsoft.ML.OnnxRuntime;

namespace GpuSearch.Bench;

/// <summary>ImageSharp decode + preprocess on all cores, batched into an ONNX Runtime CPU session.</summary>
internal sealed class IngestBaseline : IDisposable
{
    private readonly Ort.InferenceSession _session;
    private readonly Ort.SessionOptions _options;
    private readonly string _input, _output;
    private readonly int _width, _height;
    private readonly float[] _scale = new float[3], _offset = new float[3]; // out[c] = px * scale[c] + offset[c]
    private readonly bool _bgr;

    /// <summary>Wall and process CPU seconds of one run, split into its two sequential phases.</summary>
    public readonly record struct Timing(double Wall, double Cpu, double DecodeWall, double DecodeCpu, double ForwardWall, double ForwardCpu);

    /// <summary>Embedding dimension (the output's size per image).</summary>
    public int Dimension { get; }

    public IngestBaseline(string modelPath, PreprocessSpec spec, int ortThreads)
    {
        if (spec.Resize is not { Mode: GpuSearch.Imaging.ResizeMode.Exact, Interpolation: Interpolation.Bilinear } r
            || spec.CenterCrop is not null || spec.PadToSquare || spec.Trim is not null || spec.Layout != TensorLayout.Nchw)
            throw new ArgumentException("ingest: the ImageSharp baseline implements an exact bilinear resize to NCHW only (the default model's spec)");
        (_width, _height, _bgr) = (r.Width, r.Height, spec.ChannelOrder == ChannelOrder.Bgr);
        for (int c = 0; c < 3; c++)
        {
            _scale[c] = (float)(spec.Scale / spec.Std[c]);
            _offset[c] = (float)(-spec.Mean[c] / spec.Std[c]);
        }
        var bytes = File.ReadAllBytes(modelPath);
        _options = OrtOptions.Create(ortThreads);
        var probe = new Ort.InferenceSession(bytes, _options);
        (_input, _output) = (probe.InputMetadata.Keys.First(), probe.OutputMetadata.Keys.First());
        Dimension = (int)probe.OutputMetadata[_output].Dimensions.Skip(1).Aggregate(1L, (a, d) => a * Math.Max(d, 1));
        if (probe.InputMetadata[_input].Dimensions[0] > 0)
        {
            // ML.NET's export fixes the batch at 1, which ORT enforces; free it as the engine does at load time.
            probe.Dispose();
            probe = new Ort.InferenceSession(OnnxBatchRewrite.FreeBatch(bytes, new HashSet<string> { _input, _output }), _options);
        }
        _session = probe;
    }

    /// <summary>Embeds <paramref name="files"/> in batches; returns files.Count × D L2-normalised rows (and writes them to
    /// <paramref name="npyPath"/> when given).</summary>
    public (float[] Vectors, Timing Time) Run(IReadOnlyList<string> files, int batch, string? npyPath)
    {
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        double decodeWall = 0, decodeCpu = 0, forwardWall = 0, forwardCpu = 0;
        int plane = _width * _height, dim = Dimension;
        var vectors = new float[files.Count * dim];
        var tensor = new float[batch * 3 * plane];
        for (int start = 0; start < files.Count; start += batch)
        {
            int n = Math.Min(batch, files.Count - start);
            var (w0, c0) = (sw.Elapsed.TotalSeconds, Cpu());
            Parallel.For(0, n, i =>
            {
                using var image = Image.Load<Rgba32>(files[start + i]);
                Preprocess(image, tensor, i * 3 * plane);
            });
            var (w1, c1) = (sw.Elapsed.TotalSeconds, Cpu());
            var input = new Ort.Tensors.DenseTensor<float>(tensor.AsMemory(0, n * 3 * plane), [n, 3, _height, _width]);
            using (var result = _session.Run([Ort.NamedOnnxValue.CreateFromTensor(_input, input)], [_output]))
            {
                var output = result.First().AsTensor<float>() as Ort.Tensors.DenseTensor<float>
                    ?? throw new InvalidOperationException("ORT returned a non-dense tensor");
                output.Buffer.Span[..(n * dim)].CopyTo(vectors.AsSpan(start * dim, n * dim));
            }
            Embedding.ImageEmbedder.Normalize(vectors.AsSpan(start * dim, n * dim), dim);
            var (w2, c2) = (sw.Elapsed.TotalSeconds, Cpu());
            (decodeWall, decodeCpu) = (decodeWall + w1 - w0, decodeCpu + c1 - c0);
            (forwardWall, forwardCpu) = (forwardWall + w2 - w1, forwardCpu + c2 - c1);
        }
        if (npyPath is not null) NpyWriter.Write(npyPath, vectors, files.Count, dim);
        return (vectors, new Timing(sw.Elapsed.TotalSeconds, Cpu() - cpu0.TotalSeconds, decodeWall, decodeCpu, forwardWall, forwardCpu));

        double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
    }

    /// <summary>Resizes a decoded image in place and writes its preprocessed planes at <paramref name="at"/>.</summary>
    internal void Preprocess(Image<Rgba32> image, float[] tensor, int at)
    {
        // Resizing premultiplies alpha, so compositing onto white afterwards equals compositing first (the engine's order).
        image.Mutate(x => x.AutoOrient()
            .Resize(new ResizeOptions { Size = new Size(_width, _height), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch, Sampler = KnownResamplers.Triangle })
            .BackgroundColor(Color.White));
        int plane = _width * _height;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                int o = at + y * _width;
                for (int x = 0; x < row.Length; x++)
                {
                    var p = row[x];
                    byte c0 = _bgr ? p.B : p.R, c2 = _bgr ? p.R : p.B;
                    tensor[o + x] = c0 * _scale[0] + _offset[0];
                    tensor[o + plane + x] = p.G * _scale[1] + _offset[1];
                    tensor[o + 2 * plane + x] = c2 * _scale[2] + _offset[2];
                }
            }
        });
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
