// The one route from an image to its embedding. The batch loop (indexing, bulk queries, `gpusearch embed`):
// decode on N threads (bounded memory), reject images the preprocessing cannot fit to the model, embed the
// rest on the device with one batch in flight while the next is uploaded. Single images (a search by file or
// upload, a keyed add) take the same size check, submit and non-finite check through EmbedOne. The size is
// checked once per image; the embedder's own lock orders device work, so no caller lock is passed in.
using System.Runtime.CompilerServices;
using GpuSearch.Imaging;
using GpuSearch.Search;

namespace GpuSearch.Embedding;

/// <summary>One decoded-and-embedded batch, in input order.</summary>
/// <param name="Items">Every item of the batch (failed ones too), in input order.</param>
/// <param name="Embedded">The items that embedded, in input order.</param>
/// <param name="Vectors">Row-major Embedded.Count × D, L2-normalised.</param>
/// <param name="Failures">Failures by item id.</param>
internal sealed record EmbeddedBatch(IReadOnlyList<ImageBatchItem> Items, IReadOnlyList<ImageBatchItem> Embedded, float[] Vectors,
    IReadOnlyDictionary<long, ImageFailure> Failures);

/// <summary>Decodes and embeds a stream of files batch by batch.</summary>
internal static class EmbeddingPipeline
{
    /// <summary>
    /// Runs <paramref name="requests"/> through a <see cref="DecodePipeline"/> and <paramref name="embedder"/>. The
    /// embedder's batches run on its own device streams, so other threads may search or embed on the device meanwhile.
    /// </summary>
    public static async IAsyncEnumerable<EmbeddedBatch> RunAsync(ImageEmbedder embedder,
        IEnumerable<DecodeRequest> requests, DecodePipelineOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        var pipeline = new DecodePipeline(options);
        // One decoded batch stays on the device while the next is submitted, so the next batch's upload and the
        // host work between batches (catalog writes by the caller) overlap this batch's forward pass.
        InFlight? previous = null;
        try
        {
            await foreach (var batch in pipeline.RunAsync(requests, null, cancellationToken).WithCancellation(cancellationToken))
            {
                var current = Submit(embedder, batch);
                EmbeddedBatch? done = null;
                try
                {
                    if (previous is not null) done = Finish(embedder, previous);
                }
                catch
                {
                    Drop(current);
                    throw;
                }
                previous = current;
                if (done is not null) yield return done;
            }
            if (previous is not null)
            {
                var done = Finish(embedder, previous);
                previous = null;
                yield return done;
            }
        }
        finally
        {
            if (previous is not null) Drop(previous);
        }
    }

    private static void Drop(InFlight f)
    {
        foreach (var p in f.Parts) p.Dispose();
    }

    private sealed record InFlight(ImageBatch Batch, List<ImageBatchItem> Good, Dictionary<long, ImageFailure> Failures, List<PendingEmbedding> Parts);

    private static InFlight Submit(ImageEmbedder embedder, ImageBatch batch)
    {
        var failures = new Dictionary<long, ImageFailure>();
        var good = new List<ImageBatchItem>();
        foreach (var item in batch.Items)
        {
            if (FailureOf(embedder, item) is { } f) failures[item.Id] = f;
            else good.Add(item);
        }
        var parts = new List<PendingEmbedding>();
        var images = good.Select(g => g.Image!).ToArray();
        try
        {
            for (int start = 0; start < images.Length; start += embedder.MaxBatch)
                parts.Add(embedder.SubmitChecked(new ArraySegment<DecodedImage>(images, start, Math.Min(embedder.MaxBatch, images.Length - start))));
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
        return new InFlight(batch, good, failures, parts);
    }

    private static EmbeddedBatch Finish(ImageEmbedder embedder, InFlight f)
    {
        var vectors = new float[f.Good.Count * embedder.Dimension];
        int row = 0;
        foreach (var p in f.Parts)
        {
            embedder.Complete(p, vectors.AsSpan(row * embedder.Dimension, p.Count * embedder.Dimension));
            row += p.Count;
        }
        return DropNonFinite(f.Good, vectors, embedder.Dimension, f.Failures, f.Batch.Items);
    }

    /// <summary>
    /// Embeds one decoded image the way the batch loop does: the size check (once), a submit on the embedder's streams,
    /// and the non-finite check. <paramref name="name"/> names the image in the <see cref="ArgumentException"/> thrown
    /// for a size the model cannot take or an output holding NaN or infinity.
    /// </summary>
    internal static float[] EmbedOne(ImageEmbedder embedder, DecodedImage image, string name, string paramName)
    {
        if (embedder.CheckSize(image.Width, image.Height) is { } why) throw new ArgumentException($"{name}: {why}", paramName);
        var v = new float[embedder.Dimension];
        using (var pending = embedder.SubmitChecked([image])) embedder.Complete(pending, v);
        if (FiniteValues.CountNonFinite(v) is > 0 and var bad)
            throw new ArgumentException($"{name}: the model's output for this image holds {bad} NaN or infinite value(s); it cannot be searched or stored", paramName);
        return v;
    }

    /// <summary>Reason given for an image whose embedding holds NaN or infinity.</summary>
    public const string NonFiniteReason = "NonFiniteEmbedding";

    /// <summary>A row with NaN or ±infinity (a broken model, or one that overflows on this image) would rank
    /// first or never, whatever the query: it becomes that image's failure and its vector is dropped.</summary>
    private static EmbeddedBatch DropNonFinite(List<ImageBatchItem> good, float[] vectors, int dim,
        Dictionary<long, ImageFailure> failures, IReadOnlyList<ImageBatchItem> items)
    {
        var kept = new List<ImageBatchItem>(good.Count);
        int write = 0;
        for (int r = 0; r < good.Count; r++)
        {
            var row = vectors.AsSpan(r * dim, dim);
            int bad = FiniteValues.CountNonFinite(row);
            if (bad > 0)
            {
                failures[good[r].Id] = new ImageFailure(good[r].Path, NonFiniteReason,
                    $"the model's output for this image holds {bad} NaN or infinite value(s) of {dim}; not stored");
                continue;
            }
            if (write != r) row.CopyTo(vectors.AsSpan(write * dim, dim));
            kept.Add(good[r]);
            write++;
        }
        if (kept.Count == good.Count) return new EmbeddedBatch(items, good, vectors, failures);
        return new EmbeddedBatch(items, kept, vectors[..(write * dim)], failures);
    }

    /// <summary>The failure of a pipeline item (decode error, or a size the model cannot take), or null when usable.</summary>
    public static ImageFailure? FailureOf(ImageEmbedder embedder, ImageBatchItem item)
    {
        if (item.Failure is { } f) return new ImageFailure(item.Path, f.Reason.ToString(), f.Message);
        return embedder.CheckSize(item.Image!.Width, item.Image.Height) is { } why ? new ImageFailure(item.Path, "Preprocess", why) : null;
    }
}
