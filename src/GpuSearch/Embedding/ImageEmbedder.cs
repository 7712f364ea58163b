// Turns decoded images into L2-normalised embeddings on one device: GPU preprocessing into a batch tensor,
// the model's forward pass with our kernels, one download of [batch, dim]. Not thread-safe; the engine
// serialises device work.
using GpuSearch.Compute;
using GpuSearch.Imaging;
using GpuSearch.Models.Execution;

namespace GpuSearch.Embedding;

/// <summary>Embeds images with an ONNX model whose input is [N, 3, H, W] and whose chosen output is [N, D].</summary>
public sealed class ImageEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly GpuPreprocessor _pre;
    private readonly int _maxBatch;
    private DeviceBuffer? _tensor, _out;

    /// <summary>The device everything runs on.</summary>
    public ComputeDevice Device { get; }
    /// <summary>The model output used as the embedding.</summary>
    public string OutputName { get; }
    /// <summary>Embedding dimension D.</summary>
    public int Dimension { get; }
    /// <summary>Input height and width the model expects.</summary>
    public (int Width, int Height) InputSize { get; }
    /// <summary>The preprocessing applied to every image.</summary>
    public PreprocessSpec Spec => _pre.Spec;

    /// <summary>Loads the model and checks it fits the preprocessing; errors name the model and the mismatch.</summary>
    public ImageEmbedder(ComputeDevice device, string modelPath, PreprocessSpec spec, string? outputName = null, int maxBatch = 32,
        SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (spec.DType != TensorDType.Fp32)
            throw new ArgumentException("The embedder feeds the model fp32 tensors; set the preprocess dtype to fp32", nameof(spec));
        Device = device;
        _maxBatch = maxBatch;
        _session = new InferenceSession(modelPath, device, sessionOptions);
        try
        {
            if (_session.InputNames.Count != 1)
                throw new NotSupportedException($"{modelPath}: an embedding model needs exactly one image input, it has {_session.InputNames.Count}");
            var input = _session.InputNames[0];
            var shape = _session.InputShape(input);
            if (shape is not { Rank: 4 } || !shape[1].IsKnown || shape[1].Value != 3 || !shape[2].IsKnown || !shape[3].IsKnown)
                throw new NotSupportedException($"{modelPath}: input '{input}' must be [N,3,H,W] with known H and W, it is {shape}");
            InputSize = ((int)shape[3].Value, (int)shape[2].Value);
            OutputName = outputName ?? (_session.OutputNames.Contains(DefaultModel.OutputName) ? DefaultModel.OutputName : _session.OutputNames[0]);
            if (!_session.OutputNames.Contains(OutputName))
                throw new ArgumentException($"{modelPath} has no output '{OutputName}'; outputs: {string.Join(", ", _session.OutputNames)}", nameof(outputName));
            var outShape = _session.OutputShape(OutputName);
            if (outShape is not { Rank: 2 } || !outShape[1].IsKnown)
                throw new NotSupportedException($"{modelPath}: output '{OutputName}' must be [N,D], it is {outShape}");
            Dimension = (int)outShape[1].Value;
            _pre = new GpuPreprocessor(device, spec);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>Size the preprocessing gives an image of this size, or an error message when it is not the model's input size.</summary>
    public string? CheckSize(int width, int height)
    {
        var (w, h) = _pre.OutputSize(width, height);
        return (w, h) == InputSize ? null
            : $"preprocessing turns {width}×{height} into {w}×{h}, but the model takes {InputSize.Width}×{InputSize.Height}; use a spec with a fixed output size (crop or exact resize)";
    }

    /// <summary>
    /// Embeds <paramref name="images"/> (each must pass <see cref="CheckSize"/>) into <paramref name="output"/>
    /// (images.Count × D floats), each row L2-normalised (a zero vector stays zero).
    /// </summary>
    public void Embed(IReadOnlyList<DecodedImage> images, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (output.Length != (long)images.Count * Dimension)
            throw new ArgumentException($"output must hold {images.Count}×{Dimension} floats, it holds {output.Length}", nameof(output));
        var (w, h) = InputSize;
        _tensor ??= _pre.AllocateBatch(_maxBatch, w, h);
        _out ??= Device.Allocate((long)_maxBatch * Dimension * 4);
        for (int start = 0; start < images.Count; start += _maxBatch)
        {
            int n = Math.Min(_maxBatch, images.Count - start);
            for (int i = 0; i < n; i++)
            {
                var img = images[start + i];
                if (CheckSize(img.Width, img.Height) is { } why) throw new ArgumentException($"image {start + i}: {why}", nameof(images));
                _pre.Run(img.Pixels, img.Width, img.Height, _tensor, i);
            }
            _session.Run(_tensor, 0, n, _out, 0, OutputName);
            var dst = output.Slice(start * Dimension, n * Dimension);
            Device.Stream.Download<float>(_out, dst);
        }
        Normalize(output, Dimension);
    }

    /// <summary>L2-normalises each row of a row-major matrix in place, in double for stability.</summary>
    public static void Normalize(Span<float> rows, int dim)
    {
        for (int r = 0; r < rows.Length / dim; r++)
        {
            var row = rows.Slice(r * dim, dim);
            double ss = 0;
            foreach (var v in row) ss += (double)v * v;
            if (ss == 0) continue;
            var inv = 1.0 / Math.Sqrt(ss);
            for (int i = 0; i < row.Length; i++) row[i] = (float)(row[i] * inv);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tensor?.Dispose();
        _out?.Dispose();
        _pre.Dispose();
        _session.Dispose();
    }
}
