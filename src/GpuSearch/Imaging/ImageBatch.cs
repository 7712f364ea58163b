// The data that flows out of the decode pipeline: requests in, batches of per-item results out.
// A failed item stays in its batch, in its place, carrying why it failed — failures never stop a batch.
namespace GpuSearch.Imaging;

/// <summary>One file to decode, with the caller's id (carried through untouched).</summary>
/// <param name="Id">Caller's id, e.g. a catalog row.</param>
/// <param name="Path">File path.</param>
internal readonly record struct DecodeRequest(long Id, string Path);

/// <summary>Why one file failed: its path, the typed reason and the message.</summary>
/// <param name="Path">The file that failed.</param>
/// <param name="Reason">Typed reason.</param>
/// <param name="Message">Human-readable detail (the decoder's or the I/O layer's words).</param>
internal sealed record DecodeFailure(string Path, DecodeFailureReason Reason, string Message);

/// <summary>The outcome for one request: exactly one of <see cref="Image"/> and <see cref="Failure"/> is set.</summary>
internal sealed class ImageBatchItem
{
    /// <summary>The request's id.</summary>
    public long Id { get; }
    /// <summary>The request's path.</summary>
    public string Path { get; }
    /// <summary>Position of the request in the input (0-based); batches deliver items in this order.</summary>
    public long Sequence { get; }
    /// <summary>The decoded image, or null when the item failed.</summary>
    public DecodedImage? Image { get; }
    /// <summary>The failure, or null when the item decoded.</summary>
    public DecodeFailure? Failure { get; }
    /// <summary>True when <see cref="Image"/> is set.</summary>
    public bool Succeeded => Image is not null;
    /// <summary>Decode-memory budget bytes this item's pixels hold until its batch is delivered.</summary>
    internal long BudgetBytes { get; init; }

    internal ImageBatchItem(DecodeRequest request, long sequence, DecodedImage? image, DecodeFailure? failure)
    {
        Id = request.Id; Path = request.Path; Sequence = sequence; Image = image; Failure = failure;
    }
}

/// <summary>A batch of consecutive items, in input order; every batch but the last has the configured size.</summary>
internal sealed class ImageBatch
{
    /// <summary>0-based batch number.</summary>
    public int Index { get; }
    /// <summary>The items, decoded and failed, in input order.</summary>
    public IReadOnlyList<ImageBatchItem> Items { get; }
    /// <summary>The items that decoded.</summary>
    public IEnumerable<ImageBatchItem> Succeeded => Items.Where(i => i.Succeeded);
    /// <summary>The failures in this batch.</summary>
    public IEnumerable<DecodeFailure> Failures => Items.Where(i => i.Failure is not null).Select(i => i.Failure!);

    internal ImageBatch(int index, IReadOnlyList<ImageBatchItem> items) { Index = index; Items = items; }
}

/// <summary>Counters reported while the pipeline runs (from worker threads).</summary>
/// <param name="Completed">Items finished, decoded or failed.</param>
/// <param name="Failed">Items that failed.</param>
/// <param name="BytesRead">File bytes read so far.</param>
/// <param name="BatchesDelivered">Batches handed to the consumer.</param>
/// <param name="Elapsed">Time since the run started.</param>
internal readonly record struct DecodeProgress(long Completed, long Failed, long BytesRead, int BatchesDelivered, TimeSpan Elapsed);

/// <summary>Settings of a <see cref="DecodePipeline"/>.</summary>
internal sealed record DecodePipelineOptions
{
    /// <summary>Decode worker threads. Default: processor count; at most <see cref="MaxWorkerCount"/>.</summary>
    public int WorkerCount { get; init; } = Environment.ProcessorCount;

    /// <summary>The most decode workers accepted: 4 × processor count (more only adds threads and memory).</summary>
    public static int MaxWorkerCount => 4 * Environment.ProcessorCount;

    /// <summary>Decode memory (bytes) all workers together may hold: each decode's working memory, estimated from
    /// the header as width × height × 24 bytes, and decoded pixels until their batch is delivered. A decode waits
    /// for its share; an image whose estimate exceeds the whole budget decodes alone. Default: a quarter of the
    /// memory available to the process, between 256 MiB and 4 GiB.</summary>
    public long DecodeMemoryBudget { get; init; } = DefaultDecodeMemoryBudget;

    private static long DefaultDecodeMemoryBudget =>
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, 256L << 20, 4L << 30);

    /// <summary>Items per batch. Default 64.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Finished batches that may wait for the consumer. Default 2.</summary>
    public int BatchCapacity { get; init; } = 2;
    /// <summary>Options for every decode.</summary>
    public DecodeOptions Decode { get; init; } = DecodeOptions.Default;
    /// <summary>Files larger than this are failed unread (<see cref="DecodeFailureReason.TooLarge"/>). Default 256 MiB.</summary>
    public long MaxFileBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Called on a worker thread with each file's bytes right after they are read, before decoding — e.g. to hash
    /// exactly the content that gets decoded. Must be thread-safe; an exception fails that item.
    /// </summary>
    public Action<DecodeRequest, ReadOnlyMemory<byte>>? OnFileRead { get; init; }

    /// <summary>The most items that can be decoded (or decoding) but not yet handed to the consumer — the pipeline's
    /// memory bound in images: the waiting batches, the one being filled, and one per worker.</summary>
    public int MaxItemsInFlight => checked(BatchSize * (BatchCapacity + 1) + WorkerCount);

    internal void Validate()
    {
        CheckWorkerCount(WorkerCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(DecodeMemoryBudget, 1, nameof(DecodeMemoryBudget));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchCapacity, 1, nameof(BatchCapacity));
        ArgumentNullException.ThrowIfNull(Decode);
    }

    /// <summary>Throws <see cref="ArgumentException"/> (a one-line message, shown as is by the CLI) unless
    /// 1 ≤ <paramref name="workers"/> ≤ <see cref="MaxWorkerCount"/>.</summary>
    public static void CheckWorkerCount(int workers)
    {
        if (workers < 1 || workers > MaxWorkerCount)
            throw new ArgumentException($"--workers must be between 1 and {MaxWorkerCount} (4 × {Environment.ProcessorCount} processors), got {workers}");
    }
}
