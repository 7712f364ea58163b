// One model of an ImageEmbedder: its inference session, its GPU preprocessing and its device buffers. An embedder
// holds one member per embedding space; all members read the same uploaded pixels, so an image is decoded and
// uploaded once however many models embed it.
using GpuSearch.Compute;
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Models.Execution;

namespace GpuSearch.Embedding;

internal sealed class EmbeddingMember : IDisposable
{
    public required InferenceSession Session { get; init; }
    public required GpuPreprocessor Pre { get; init; }
    public required string OutputName { get; init; }
    public required int Dimension { get; init; }
    public required (int Width, int Height) InputSize { get; init; }
    public GemPooling? Pooling { get; init; }
    public string? PooledValue { get; init; }
    public required string ModelPath { get; init; }
    /// <summary>The batch tensor and the [batch, D] output on the device, allocated on first use.</summary>
    public DeviceBuffer? Tensor, Out;

    public string EmbeddingSource => Pooling is null ? OutputName : $"{PooledValue} pooled {Pooling}";

    /// <summary>Loads a model and checks it fits the preprocessing; errors name the model and the mismatch.</summary>
    public static EmbeddingMember Load(ComputeDevice device, string modelPath, PreprocessSpec spec, string? outputName,
        GemPooling? pooling, SessionOptions? sessionOptions, ComputeStream compute, ComputeStream tableStream)
    {
        if (spec.DType != TensorDType.Fp32)
            throw new ArgumentException("The embedder feeds the model fp32 tensors; set the preprocess dtype to fp32", nameof(spec));
        string? pooledValue = null;
        if (pooling is not null)
        {
            if (outputName is null) throw new ArgumentException("GeM pooling needs the name of the [N,C,H,W] feature map to pool (--output-name)", nameof(outputName));
            pooledValue = outputName;
            outputName = GemPooling.OutputFor(outputName);
        }
        LoadedModel loaded;
        try
        {
            loaded = ModelLoader.Load(modelPath, (sessionOptions ?? SessionOptions.Default).Optimize,
                pooling is null ? null : g => pooling.Apply(g, pooledValue!));
        }
        catch (ArgumentException e) when (pooling is not null) { throw new ArgumentException($"{modelPath}: {e.Message}", e); }
        var session = new InferenceSession(loaded.Graph, device, sessionOptions) { Stream = compute };
        try
        {
            if (!session.HasDynamicBatch)
                throw new NotSupportedException($"{modelPath}: an embedding model needs a batch dimension; " +
                    (loaded.FixedBatchReason ?? "export it with a dynamic first input dimension"));
            if (session.InputNames.Count != 1)
                throw new NotSupportedException($"{modelPath}: an embedding model needs exactly one image input, it has {session.InputNames.Count}");
            var input = session.InputNames[0];
            var shape = session.InputShape(input);
            if (shape is not { Rank: 4 } || !shape[1].IsKnown || shape[1].Value != 3 || !shape[2].IsKnown || !shape[3].IsKnown)
                throw new NotSupportedException($"{modelPath}: input '{input}' must be [N,3,H,W] with known H and W, it is {shape}");
            var output = outputName ?? new[] { DefaultModel.OutputName, DefaultModel.NsfwJs.OutputName }.FirstOrDefault(session.OutputNames.Contains) ?? session.OutputNames[0];
            if (!session.OutputNames.Contains(output))
                throw new ArgumentException($"{modelPath} has no output '{output}'; outputs: {string.Join(", ", session.OutputNames)}", nameof(outputName));
            var outShape = session.OutputShape(output);
            // [N,D,1,1] (a pooled map, as CNTK and Caffe exports end) has the same memory layout as [N,D].
            if (outShape is null || outShape.Rank < 2 || !outShape[1].IsKnown || outShape.Dims.Skip(2).Any(d => !d.IsKnown || d.Value != 1))
                throw new NotSupportedException($"{modelPath}: output '{output}' must be [N,D] (or [N,D,1,1]), it is {outShape}");
            return new EmbeddingMember
            {
                Session = session, OutputName = output, Dimension = (int)outShape[1].Value, ModelPath = modelPath,
                InputSize = ((int)shape[3].Value, (int)shape[2].Value), Pooling = pooling, PooledValue = pooledValue,
                Pre = new GpuPreprocessor(device, spec, compute, tableStream: tableStream),
            };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Null when the preprocessing turns an image of this size into the model's input size, else why not.</summary>
    public string? CheckSize(int width, int height)
    {
        int w, h;
        try { (w, h) = Pre.OutputSize(width, height); }
        catch (ArgumentOutOfRangeException e) { return e.Message; }
        return (w, h) == InputSize ? null
            : $"preprocessing turns {width}×{height} into {w}×{h}, but the model takes {InputSize.Width}×{InputSize.Height}; use a spec with a fixed output size (crop or exact resize)";
    }

    public void Dispose()
    {
        Tensor?.Dispose();
        Out?.Dispose();
        Pre.Dispose();
        Session.Dispose();
    }
}
