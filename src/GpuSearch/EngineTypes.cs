// Options, progress and results of the host API (Engine.cs).
using GpuSearch.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuSearch;

/// <summary>How an <see cref="ImageSearchEngine"/> is opened. Unset values come from the index, then from defaults.</summary>
public sealed record EngineOptions
{
    /// <summary>Device selection: auto, cpu, cuda:N, opencl:N.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>ONNX model; null = the index's model, else the default model.</summary>
    public string? ModelPath { get; init; }
    /// <summary>Preprocessing; null = the index's, else the model's sidecar <c>*.preprocess.json</c>, else a default.</summary>
    public PreprocessSpec? Preprocess { get; init; }
    /// <summary>Model output used as the embedding; null = <c>embedding</c> if present, else the first output.</summary>
    public string? OutputName { get; init; }
    /// <summary>
    /// GeM pooling of the [N, C, H, W] value named by <see cref="OutputName"/> into the embedding (on the device); null = the
    /// index's, else none. Part of the index fingerprint.
    /// </summary>
    public GpuSearch.Models.GemPooling? Pool { get; init; }
    /// <summary>
    /// Several models in one index (a multi-backbone ensemble, or one model on several crops): each image is decoded
    /// once and embedded by every space's model; the stored vector concatenates their weighted L2-normalised segments
    /// (layout and score: <see cref="GpuSearch.Embedding.EmbeddingSpace"/>). Null = the index's spaces, else a single
    /// model (<see cref="ModelPath"/>). Set it alone: ModelPath, OutputName and Pool belong to each space;
    /// <see cref="Preprocess"/> is the default for spaces without their own. Part of the index fingerprint.
    /// </summary>
    public IReadOnlyList<GpuSearch.Embedding.EmbeddingSpace>? Spaces { get; init; }
    /// <summary>Images per inference batch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Decode threads (default: processor count).</summary>
    public int DecodeWorkers { get; init; } = Environment.ProcessorCount;
    /// <summary>Largest image accepted, in pixels (checked before decoding).</summary>
    public long MaxPixels { get; init; } = DecodeOptions.Default.MaxPixels;
    /// <summary>
    /// Flip test-time augmentation (each embedding averages the image's and its mirror's; twice the compute). Null =
    /// as the index was built (off for a new index). Part of the index fingerprint: an index refuses the other setting.
    /// </summary>
    public bool? FlipTta { get; init; }
    /// <summary>Create the index when the folder holds none (false: opening a missing index is an error).</summary>
    public bool CreateIfMissing { get; init; } = true;
    /// <summary>
    /// Open the index read-only (queries, evaluation, a server beside a writer): no lock, no recovery, nothing written,
    /// so it never changes the index and works on read-only media; adding and deleting throw
    /// <see cref="InvalidOperationException"/>. The vectors are those committed when it opened.
    /// </summary>
    public bool ReadOnly { get; init; }
    /// <summary>
    /// Largest encoded image accepted, in bytes (a file, a <see cref="Stream"/> or an in-memory image): a longer one is
    /// refused with <see cref="ImageDecodeException"/> (<see cref="DecodeFailureReason.TooLarge"/>) before it is read whole.
    /// </summary>
    public long MaxImageBytes { get; init; } = 256L << 20;
    /// <summary>
    /// Where the engine logs (open stages, device choice and fallbacks, kernel compiles, recovery and quarantine moves,
    /// committed batches, files that failed); categories <c>GpuSearch.ImageSearchEngine</c>, <c>GpuSearch.Store</c> and
    /// <c>GpuSearch.Compute</c>. The default logs nothing; the library never writes to the console.
    /// </summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>Progress of <see cref="ImageSearchEngine.AddImagesAsync"/>.</summary>
/// <param name="Total">Images to consider (after expanding folders).</param>
/// <param name="Processed">Images handled so far (added + skipped + failed).</param>
/// <param name="Added">Images embedded and committed to the index.</param>
/// <param name="Skipped">Images already in the index with the same content.</param>
/// <param name="Failed">Images that could not be read or decoded.</param>
/// <param name="Elapsed">Time since the call started.</param>
public readonly record struct IndexProgress(long Total, long Processed, long Added, long Skipped, long Failed, TimeSpan Elapsed)
{
    /// <summary>Images embedded per second so far.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? Added / Elapsed.TotalSeconds : 0;
}

/// <summary>An image that could not be indexed or queried, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">Short machine-readable reason (a <see cref="GpuSearch.Imaging.DecodeFailureReason"/> name such as Truncated, Corrupt, TooLarge, IoError; or Preprocess).</param>
/// <param name="Message">Human-readable detail.</param>
public sealed record ImageFailure(string Path, string Reason, string Message);

/// <summary>Items committed by one batch of an add; reported only after they are durable.</summary>
/// <param name="Ids">Assigned ids.</param>
/// <param name="Paths">Their paths, in the same order.</param>
public sealed record AddedBatch(IReadOnlyList<long> Ids, IReadOnlyList<string> Paths);

/// <summary>Outcome of an add.</summary>
/// <param name="Added">Images added.</param>
/// <param name="Skipped">Images already present (same path and content).</param>
/// <param name="Failures">Images that failed, with reasons.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record IndexReport(long Added, long Skipped, IReadOnlyList<ImageFailure> Failures, TimeSpan Elapsed);

/// <summary>One search result.</summary>
/// <param name="Id">Item id.</param>
/// <param name="Path">Item path as indexed.</param>
/// <param name="Score">Cosine similarity (embeddings are L2-normalised; 1 = identical direction).</param>
public sealed record SearchHit(long Id, string Path, float Score);

/// <summary>The results of one query image.</summary>
/// <param name="QueryPath">The query file.</param>
/// <param name="Hits">Best first; empty when the query failed.</param>
/// <param name="Failure">Why the query failed, if it did.</param>
public sealed record QueryOutcome(string QueryPath, IReadOnlyList<SearchHit> Hits, ImageFailure? Failure);
