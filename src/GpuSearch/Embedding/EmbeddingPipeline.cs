// The batch loop shared by indexing, bulk queries and `gpusearch embed`: decode on N threads (bounded
// memory), reject images the preprocessing cannot fit to the model, embed the rest in one device pass.
using System.Runtime.CompilerServices;
using GpuSearch.Imaging;

namespace GpuSearch.Embedding;

/// <summary>One decoded-and-embedded batch, in input order.</summary>
/// <param name="Items">Every item of the batch (failed ones too), in input order.</param>
/// <param name="Embedded">The items that embedded, in input order.</param>
/// <param name="Vectors">Row-major Embedded.Count × D, L2-normalised.</param>
/// <param name="Failures">Failures by item id.</param>
public sealed record EmbeddedBatch(IReadOnlyList<ImageBatchItem> Items, IReadOnlyList<ImageBatchItem> Embedded, float[] Vectors,
    IReadOnlyDictionary<long, ImageFailure> Failures);

/// <summary>Decodes and embeds a stream of files batch by batch.</summary>
public static class EmbeddingPipeline
{
    /// <summary>
    /// Runs <paramref name="requests"/> through a <see cref="DecodePipeline"/> and <paramref name="embedder"/>. Device work
    /// happens under <paramref name="deviceLock"/> so other threads can share the device.
    /// </summary>
    public static async IAsyncEnumerable<EmbeddedBatch> RunAsync(ImageEmbedder embedder, object deviceLock,
        IEnumerable<DecodeRequest> requests, DecodePipelineOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(deviceLock);
        var pipeline = new DecodePipeline(options);
        await foreach (var batch in pipeline.RunAsync(requests, null, cancellationToken).WithCancellation(cancellationToken))
        {
            var failures = new Dictionary<long, ImageFailure>();
            var good = new List<ImageBatchItem>();
            foreach (var item in batch.Items)
            {
                if (FailureOf(embedder, item) is { } f) failures[item.Id] = f;
                else good.Add(item);
            }
            var vectors = new float[good.Count * embedder.Dimension];
            if (good.Count > 0)
                lock (deviceLock) embedder.Embed(good.Select(g => g.Image!).ToArray(), vectors);
            yield return new EmbeddedBatch(batch.Items, good, vectors, failures);
        }
    }

    /// <summary>The failure of a pipeline item (decode error, or a size the model cannot take), or null when usable.</summary>
    public static ImageFailure? FailureOf(ImageEmbedder embedder, ImageBatchItem item)
    {
        if (item.Failure is { } f) return new ImageFailure(item.Path, f.Reason.ToString(), f.Message);
        return embedder.CheckSize(item.Image!.Width, item.Image.Height) is { } why ? new ImageFailure(item.Path, "Preprocess", why) : null;
    }
}
