// The index's image model as a Microsoft.Extensions.AI embedding generator: DataContent (image bytes with an image/*
// media type, e.g. from DataContent.LoadFromAsync(path) or an upload) in, one Embedding<float> per image out, decoded
// with the engine's limits and embedded in device batches of EngineOptions.BatchSize.
using Microsoft.Extensions.AI;

namespace GpuSearch.VectorData;

/// <summary>
/// Embeds images with the model of an open <see cref="ImageSearchEngine"/>. The vectors are the ones the engine stores
/// and searches (L2-normalised), so they can be upserted into, or searched against, that engine's index.
/// </summary>
public sealed class GpuSearchImageEmbeddingGenerator : IEmbeddingGenerator<DataContent, Embedding<float>>
{
    private readonly Func<CancellationToken, Task<ImageSearchEngine>> _engine;
    private readonly string _modelId;
    private readonly int? _dimensions;

    /// <summary>A generator over <paramref name="engine"/>'s model; the engine stays the caller's to dispose.</summary>
    public GpuSearchImageEmbeddingGenerator(ImageSearchEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = _ => Task.FromResult(engine);
        _modelId = Path.GetFileName(engine.ModelPath);
        _dimensions = engine.Dimension;
    }

    /// <summary>A generator that finds its engine when first used (a collection's, opened on demand).</summary>
    internal GpuSearchImageEmbeddingGenerator(Func<CancellationToken, Task<ImageSearchEngine>> engine, string modelId)
    {
        _engine = engine;
        _modelId = modelId;
    }

    /// <summary>
    /// Embeds each image. <paramref name="options"/>' <see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must
    /// equal the model's dimension (the model cannot shorten its vectors).
    /// </summary>
    /// <exception cref="ArgumentException">A value without image data or with a non-image media type, or a dimension the model does not make.</exception>
    /// <exception cref="GpuSearch.Imaging.ImageDecodeException">The bytes are not a readable image (the message names the value).</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<DataContent> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var items = values.ToArray();
        for (int i = 0; i < items.Length; i++)
        {
            var c = items[i] ?? throw new ArgumentException($"value {i} is null", nameof(values));
            if (!c.HasTopLevelMediaType("image")) throw new ArgumentException($"value {i} ({Name(c, i)}) has media type '{c.MediaType}'; the model embeds images (image/*)", nameof(values));
            if (c.Data.IsEmpty) throw new ArgumentException($"value {i} ({Name(c, i)}) holds no bytes", nameof(values));
        }
        var engine = await _engine(cancellationToken).ConfigureAwait(false);
        if (options?.Dimensions is { } d && d != engine.Dimension)
            throw new ArgumentException($"the model makes {engine.Dimension}-dimensional embeddings; {d} were asked for", nameof(options));
        var result = new GeneratedEmbeddings<Embedding<float>>(items.Length);
        // Decoding runs off the device lock; each chunk of at most MaxBatch images is one device pass.
        for (int start = 0; start < items.Length; start += engine.MaxBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = items.AsMemory(start, Math.Min(engine.MaxBatch, items.Length - start));
            var vectors = await Task.Run(() =>
            {
                var decoded = new List<GpuSearch.Imaging.DecodedImage>(chunk.Length);
                for (int j = 0; j < chunk.Length; j++) decoded.Add(engine.Decode(chunk.Span[j].Data.Span, Name(chunk.Span[j], start + j)));
                return engine.EmbedDecoded(decoded);
            }, cancellationToken).ConfigureAwait(false);
            for (int j = 0; j < chunk.Length; j++)
            {
                var v = vectors.AsMemory(j * engine.Dimension, engine.Dimension);
                if (v.Span.ContainsAnyExcept(0f) is false || HasNonFinite(v.Span))
                    throw new ArgumentException($"value {start + j} ({Name(chunk.Span[j], start + j)}): the model's output holds NaN, infinity or only zeros", nameof(values));
                result.Add(new Embedding<float>(v) { ModelId = _modelId, CreatedAt = DateTimeOffset.UtcNow });
            }
        }
        return result;
    }

    private static bool HasNonFinite(ReadOnlySpan<float> v)
    {
        foreach (var x in v) if (!float.IsFinite(x)) return true;
        return false;
    }

    private static string Name(DataContent c, int index) => c.Name ?? $"image {index}";

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return new EmbeddingGeneratorMetadata("GpuSearchEngine", null, _modelId, _dimensions);
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release: the engine belongs to whoever opened it.</summary>
    public void Dispose() { }
}
