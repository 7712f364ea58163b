// A batch the embedder has enqueued but not yet handed back, and the per-batch memory it holds while in
// flight. Two or more batches can be in flight at once, which is what lets the upload of one batch run
// while the device computes the one before.
using GpuSearch.Compute;

namespace GpuSearch.Embedding;

/// <summary>
/// A batch submitted with <see cref="ImageEmbedder.Submit"/>: its pixels are uploading or its forward pass is queued.
/// Pass it to <see cref="ImageEmbedder.Complete"/> for the vectors; disposing it without completing waits for the
/// device and drops the result.
/// </summary>
internal sealed class PendingEmbedding : IDisposable
{
    internal PendingEmbedding(ImageEmbedder owner, BatchSlot slot, int count, long sequence)
    {
        Owner = owner; Slot = slot; Count = count; Sequence = sequence;
    }

    internal ImageEmbedder Owner { get; }
    internal BatchSlot? Slot { get; set; }
    /// <summary>Number of images in the batch (the result holds Count × D floats).</summary>
    public int Count { get; }
    /// <summary>Submission number, counting from 0 per embedder.</summary>
    public long Sequence { get; }
    /// <summary>True once the vectors were taken or the batch was dropped.</summary>
    public bool IsCompleted => Slot is null;

    /// <inheritdoc />
    public void Dispose() => Owner.Release(this);
}

/// <summary>
/// Memory one in-flight batch needs to itself: pinned staging for its pixels and their device copy (the upload
/// stream fills these while an earlier batch's kernels may still read another slot's), and pinned memory the
/// result is downloaded into. Reused, growing, once the batch it served has completed.
/// </summary>
internal sealed class BatchSlot : IDisposable
{
    public PinnedHostBuffer? Staging;
    public DeviceBuffer? DevicePixels;
    public PinnedHostBuffer? Result;
    /// <summary>Recorded on the compute stream after the result download: the whole batch is done.</summary>
    public ComputeEvent? Done;

    /// <summary>
    /// Makes the staging and its device copy hold at least <paramref name="bytes"/>, growing to at least twice their
    /// old size up to <paramref name="limit"/>: batches of varied images would otherwise reallocate every few batches,
    /// and on a CPU device every new allocation is fresh pages, zeroed on first touch (and, on VMs that hand freed
    /// memory back to the host, faulted on the host too).
    /// </summary>
    public void EnsureStaging(ComputeDevice device, long bytes, long limit)
    {
        if (Staging is { } s && s.Length >= bytes) return;
        long size = Math.Max(bytes, Math.Min(limit, 2 * (Staging?.Length ?? 0)));
        Staging?.Dispose();
        DevicePixels?.Dispose();
        (Staging, DevicePixels) = (null, null);
        Staging = device.AllocatePinned(size);
        DevicePixels = device.Allocate(size);
    }

    public void EnsureResult(ComputeDevice device, long bytes)
    {
        if (Result is { } r && r.Length >= bytes) return;
        Result?.Dispose();
        Result = null;
        Result = device.AllocatePinned(bytes);
    }

    public void Dispose()
    {
        Done?.Dispose();
        Staging?.Dispose();
        DevicePixels?.Dispose();
        Result?.Dispose();
    }
}
