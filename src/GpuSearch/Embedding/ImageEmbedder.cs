// Turns decoded images into L2-normalised embeddings on one device: GPU preprocessing into a batch tensor,
// the model's forward pass with our kernels, one download of [batch, dim]. Pixels are staged in pinned
// memory and uploaded on a transfer stream that the embedder's compute stream waits on by event, so a batch's
// upload runs while the previous batch computes. Both streams are the embedder's own, never the device's
// default one that searches use, so a search is not queued behind a batch. Thread-safe: submitting is
// serialised by the embedder, and waiting for a batch's result holds no lock.
using GpuSearch.Compute;
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Search;

namespace GpuSearch.Embedding;

/// <summary>Embeds images with an ONNX model whose input is [N, 3, H, W] and whose chosen output is [N, D] or [N, D, 1, 1].</summary>
internal sealed class ImageEmbedder : IDisposable
{
    private readonly EmbeddingMember[] _members;
    private readonly float[] _scales; // √(w_m / Σw): segment m's factor, so a row is unit-length and cosines are weighted means
    private readonly int _maxBatch;
    private readonly int _deviceBatch;
    private readonly ComputeStream _upload;
    private readonly ComputeStream _compute;
    private readonly object _sync = new(); // guards the slots, the batch tensor and the enqueue order
    private readonly Stack<BatchSlot> _freeSlots = new();
    private readonly List<BatchSlot> _slots = new();
    private long _submitted;
    private bool _disposed;

    /// <summary>Pinned staging memory per in-flight batch (a bigger batch of pixels is uploaded in parts).</summary>
    internal long StagingBytes { get; set; } = 64L << 20;
    /// <summary>Batches submitted and not yet completed or dropped.</summary>
    internal int InFlight { get; private set; }
    /// <summary>Per-batch memory sets made so far (one per batch that was in flight at the same time).</summary>
    internal int SlotCount => _slots.Count;
    /// <summary>Test seam: notes each submit and each wait for a result, in order.</summary>
    internal Action<string>? Trace { get; set; }

    /// <summary>The device everything runs on.</summary>
    public ComputeDevice Device { get; }
    /// <summary>The model output used as the embedding (of the first space's model).</summary>
    public string OutputName => _members[0].OutputName;
    /// <summary>Embedding dimension D (the sum of the spaces' dimensions).</summary>
    public int Dimension { get; }
    /// <summary>Input height and width the (first space's) model expects.</summary>
    public (int Width, int Height) InputSize => _members[0].InputSize;
    /// <summary>The spaces whose segments make up each vector, in order (one for a single model).</summary>
    public IReadOnlyList<EmbeddingSpace> Spaces { get; }
    /// <summary>Where each space's segment lies in a vector, in <see cref="Spaces"/> order.</summary>
    internal SpaceLayout Layout { get; }
    /// <summary>Most images one <see cref="Submit"/> takes (the batch size given at construction).</summary>
    public int MaxBatch => _maxBatch;
    /// <summary>The preprocessing applied to every image.</summary>
    public PreprocessSpec Spec => _members[0].Pre.Spec;
    /// <summary>
    /// Flip test-time augmentation: each embedding is the L2-normalised mean of the image's and its left-right
    /// mirror's L2-normalised embeddings (both run in the same device batch, so a batch costs twice the compute).
    /// </summary>
    public bool FlipTta { get; }

    /// <summary>GeM pooling applied on the device to the feature map <see cref="PooledValue"/>, or null.</summary>
    public GemPooling? Pooling => _members[0].Pooling;
    /// <summary>The [N, C, H, W] value that <see cref="Pooling"/> pools (the <c>outputName</c> given), or null.</summary>
    public string? PooledValue => _members[0].PooledValue;
    /// <summary>What the embedding is, for the index fingerprint: the output name, or the pooled value and the pooling with its p.</summary>
    public string EmbeddingSource => _members[0].EmbeddingSource;
    /// <summary>What a space's segment is, for the index fingerprint (as <see cref="EmbeddingSource"/>).</summary>
    internal string EmbeddingSourceOf(int space) => _members[space].EmbeddingSource;

    /// <summary>Loads the model and checks it fits the preprocessing; errors name the model and the mismatch.</summary>
    /// <remarks>
    /// With <c>pooling</c>, the [N, C, H, W] value named by <c>outputName</c> (required then) is GeM-pooled into the
    /// embedding by a load-time graph rewrite (<see cref="GemPooling.Apply"/>).
    /// </remarks>
    public ImageEmbedder(ComputeDevice device, string modelPath, PreprocessSpec spec, string? outputName = null, int maxBatch = 32,
        SessionOptions? sessionOptions = null, bool flipTta = false, GemPooling? pooling = null)
        : this(device, [new EmbeddingSpace(modelPath, 1f, Path.GetFileNameWithoutExtension(modelPath), spec, outputName, pooling)], maxBatch, sessionOptions, flipTta)
    {
    }

    /// <summary>
    /// Loads one model per space (each with its own preprocessing, which must be set); every image is uploaded once and
    /// each model embeds it in the same device pass. Vector layout and weights: <see cref="EmbeddingSpace"/>.
    /// </summary>
    internal ImageEmbedder(ComputeDevice device, IReadOnlyList<EmbeddingSpace> spaces, int maxBatch, SessionOptions? sessionOptions, bool flipTta)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(spaces);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (spaces.Count == 0) throw new ArgumentException("at least one embedding space is needed", nameof(spaces));
        foreach (var s in spaces) ArgumentNullException.ThrowIfNull(s.Preprocess, nameof(spaces));
        Device = device;
        _maxBatch = maxBatch;
        FlipTta = flipTta;
        _deviceBatch = flipTta ? checked(2 * maxBatch) : maxBatch;
        _upload = device.CreateStream();
        var members = new List<EmbeddingMember>();
        try
        {
            _compute = device.CreateStream();
            foreach (var s in spaces)
                members.Add(EmbeddingMember.Load(device, s.ModelPath, s.Preprocess!, s.OutputName, s.Pool, sessionOptions, _compute, _upload));
        }
        catch
        {
            foreach (var m in members) m.Dispose();
            _compute?.Dispose();
            _upload.Dispose();
            throw;
        }
        _members = [.. members];
        Spaces = spaces;
        Layout = new SpaceLayout(spaces.Select(s => s.Name ?? "").ToArray(), members.Select(m => m.Dimension).ToArray(), spaces.Select(s => s.Weight).ToArray());
        Dimension = Layout.Dimension;
        _scales = Layout.StoredScales();
    }

    /// <summary>
    /// Null when the preprocessing turns an image of this size into the model's input size, else why not (also for a
    /// side the preprocessing cannot take at all, so one such image fails alone instead of stopping a batch).
    /// </summary>
    public string? CheckSize(int width, int height)
    {
        foreach (var m in _members)
            if (m.CheckSize(width, height) is { } why) return _members.Length == 1 ? why : $"{Path.GetFileName(m.ModelPath)}: {why}";
        return null;
    }

    /// <summary>
    /// Embeds <paramref name="images"/> (each must pass <see cref="CheckSize"/>) into <paramref name="output"/>
    /// (images.Count × D floats), each row L2-normalised (a zero vector stays zero). Batches of the model's
    /// batch size are pipelined: the next one uploads while the previous one computes.
    /// </summary>
    public void Embed(IReadOnlyList<DecodedImage> images, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (output.Length != (long)images.Count * Dimension)
            throw new ArgumentException($"output must hold {images.Count}×{Dimension} floats, it holds {output.Length}", nameof(output));
        CheckSizes(images, nameof(images));
        EmbedChecked(images, output);
    }

    /// <summary>Throws naming the first image (by index) that is null or of a size the preprocessing cannot fit to the model.</summary>
    private void CheckSizes(IReadOnlyList<DecodedImage> images, string paramName)
    {
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i] is not { } img) throw new ArgumentNullException(paramName, $"image {i} is null");
            if (CheckSize(img.Width, img.Height) is { } why) throw new ArgumentException($"image {i}: {why}", paramName);
        }
    }

    /// <summary><see cref="Embed"/> for images whose sizes the caller has already checked (<see cref="CheckSizes"/>): every
    /// batch goes through <see cref="SubmitChecked"/>.</summary>
    internal void EmbedChecked(IReadOnlyList<DecodedImage> images, Span<float> output)
    {
        var all = images as DecodedImage[] ?? images.ToArray();
        var inFlight = new Queue<(PendingEmbedding Batch, int Start)>();
        try
        {
            for (int start = 0; start < all.Length; start += _maxBatch)
            {
                int n = Math.Min(_maxBatch, all.Length - start);
                inFlight.Enqueue((SubmitChecked(new ArraySegment<DecodedImage>(all, start, n)), start));
                if (inFlight.Count == 2) CompleteOldest(inFlight, output);
            }
            while (inFlight.Count > 0) CompleteOldest(inFlight, output);
        }
        finally
        {
            foreach (var (batch, _) in inFlight) batch.Dispose();
        }
    }

    private void CompleteOldest(Queue<(PendingEmbedding Batch, int Start)> inFlight, Span<float> output)
    {
        var (batch, start) = inFlight.Peek();
        Complete(batch, output.Slice(start * Dimension, batch.Count * Dimension));
        inFlight.Dequeue();
    }

    /// <summary>
    /// Enqueues up to the embedder's batch size of images and returns without waiting for the device: the pixels
    /// are staged in pinned memory and uploaded on a transfer stream, and the device stream waits for that upload
    /// before it preprocesses and runs the model. Call <see cref="Complete"/> for the vectors; submitting the next
    /// batch first lets its upload overlap this batch's compute.
    /// </summary>
    /// <exception cref="ArgumentException">No images, more than the batch size, or an image the preprocessing cannot fit to the model.</exception>
    public PendingEmbedding Submit(IReadOnlyList<DecodedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckSizes(images, nameof(images));
        return SubmitChecked(images);
    }

    /// <summary>
    /// <see cref="Submit"/> for images whose sizes were checked once already (the one route every caller takes:
    /// <see cref="EmbeddingPipeline.FailureOf"/> or the engine's single-image check), so the check is not repeated.
    /// </summary>
    internal PendingEmbedding SubmitChecked(IReadOnlyList<DecodedImage> images)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count < 1 || images.Count > _maxBatch)
            throw new ArgumentException($"a batch holds 1 to {_maxBatch} images, got {images.Count}", nameof(images));
        int count = images.Count;
        if (FlipTta) images = [.. images, .. images.Select(Mirror)]; // rows n..2n-1 are the mirrors of rows 0..n-1
        long largest = 0, total = 0;
        foreach (var img in images)
        {
            largest = Math.Max(largest, img.PixelArray.LongLength);
            total += img.PixelArray.LongLength;
        }
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return SubmitLocked(images, count, largest, total);
        }
    }

    private PendingEmbedding SubmitLocked(IReadOnlyList<DecodedImage> images, int count, long largest, long total)
    {
        foreach (var m in _members)
        {
            m.Tensor ??= m.Pre.AllocateBatch(_deviceBatch, m.InputSize.Width, m.InputSize.Height);
            m.Out ??= Device.Allocate((long)_deviceBatch * m.Dimension * 4);
        }
        if (!_freeSlots.TryPop(out var slot)) _slots.Add(slot = new BatchSlot());
        try
        {
            long limit = Math.Max(StagingBytes, largest);
            slot.EnsureStaging(Device, Math.Min(total, limit), limit);
            slot.EnsureResult(Device, (long)images.Count * Dimension * 4);
            EnqueueGroups(images, slot);
            int n = images.Count;
            var compute = _compute;
            // The result holds one block per space: n rows of that space's model output, blocks in space order.
            long offset = 0;
            foreach (var m in _members)
            {
                m.Session.Run(m.Tensor!, 0, n, m.Out!, 0, m.OutputName);
                compute.DownloadAsync(m.Out!, slot.Result!, 0, (long)n * m.Dimension * 4, offset);
                offset += (long)n * m.Dimension * 4;
            }
            slot.Done?.Dispose();
            slot.Done = compute.Record();
        }
        catch
        {
            // Nothing of this batch may still touch the slot's memory when it goes back to the pool.
            try { _upload.Synchronize(); _compute.Synchronize(); }
            catch (ComputeException) { } // the device failed: the original error is the one to report
            slot.Done?.Dispose();
            slot.Done = null;
            _freeSlots.Push(slot);
            throw;
        }
        var pending = new PendingEmbedding(this, slot, count, _submitted++);
        InFlight++;
        Trace?.Invoke($"submit {pending.Sequence}");
        return pending;
    }

    /// <summary>
    /// Stages the images in the slot's pinned memory and uploads them on the transfer stream, as many at a time as
    /// fit; the device stream waits for each upload, then preprocesses those images into the batch tensor.
    /// </summary>
    private void EnqueueGroups(IReadOnlyList<DecodedImage> images, BatchSlot slot)
    {
        var compute = _compute;
        var staging = slot.Staging!;
        var offsets = new long[images.Count];
        for (int i = 0; i < images.Count;)
        {
            int first = i;
            long used = 0;
            while (i < images.Count && used + images[i].PixelArray.LongLength <= staging.Length)
            {
                var px = images[i].PixelArray;
                px.CopyTo(staging.Span.Slice((int)used, px.Length));
                offsets[i] = used;
                used += px.LongLength;
                // New weight tables go up on the transfer stream (with trimming the size is known only after the box search).
                foreach (var m in _members)
                    if (m.Pre.Spec.Trim is null) m.Pre.Prepare(images[i].Width, images[i].Height);
                i++;
            }
            _upload.UploadAsync(slot.DevicePixels!, staging, 0, used);
            using (var uploaded = _upload.Record())
            {
                compute.Wait(uploaded);
                var regions = new DeviceImage[i - first];
                for (int j = first; j < i; j++) regions[j - first] = new DeviceImage(offsets[j], images[j].Width, images[j].Height, 3 * images[j].Width);
                foreach (var m in _members)
                {
                    // Trimming: all content boxes of the group in one device round trip, then each resize reads its box.
                    var boxes = m.Pre.Spec.Trim is null ? null : m.Pre.FindContentBoxes(slot.DevicePixels!, regions);
                    for (int j = first; j < i; j++)
                    {
                        var r = regions[j - first];
                        m.Pre.Run(slot.DevicePixels!, r.OffsetBytes, r.Width, r.Height, r.StrideBytes,
                            boxes?[j - first] ?? ContentBox.Whole(r.Width, r.Height), m.Tensor!, j);
                    }
                }
                if (i == images.Count) break;
                // A batch larger than the staging memory: before refilling it, the host waits for this upload and
                // the transfer stream waits (on the device) for the kernels that read the device copy.
                uploaded.Wait();
            }
            using var consumed = compute.Record();
            _upload.Wait(consumed);
        }
    }

    /// <summary>Waits for a submitted batch and writes its L2-normalised vectors (Count × D floats) to <paramref name="output"/>.</summary>
    /// <exception cref="InvalidOperationException">The batch was already completed or dropped, or belongs to another embedder.</exception>
    public void Complete(PendingEmbedding batch, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(batch.Owner, this)) throw new InvalidOperationException("The batch was submitted to another embedder");
        var slot = batch.Slot ?? throw new InvalidOperationException($"Batch {batch.Sequence} was already completed or dropped");
        if (output.Length != (long)batch.Count * Dimension)
            throw new ArgumentException($"output must hold {batch.Count}×{Dimension} floats, it holds {output.Length}", nameof(output));
        Trace?.Invoke($"wait {batch.Sequence}");
        slot.Done!.Wait(); // no lock held: other threads keep submitting while this batch computes
        int rows = FlipTta ? 2 * batch.Count : batch.Count;
        if (_members.Length == 1) CompleteSegment(slot.Result!.AsSpan<float>()[..(rows * Dimension)], batch.Count, Dimension, output);
        else
        {
            long block = 0;
            for (int m = 0; m < _members.Length; m++)
            {
                int d = _members[m].Dimension;
                var segment = new float[batch.Count * d];
                CompleteSegment(slot.Result!.AsSpan<float>().Slice((int)block, rows * d), batch.Count, d, segment);
                Layout.Scatter(segment, m, _scales[m], output);
                block += (long)rows * d;
            }
        }
        Return(batch);
    }

    /// <summary>One model's rows (the mirrors after them with flip TTA) into L2-normalised, flip-averaged rows.</summary>
    private void CompleteSegment(ReadOnlySpan<float> block, int count, int dim, Span<float> output)
    {
        block[..output.Length].CopyTo(output);
        Normalize(output, dim);
        if (FlipTta)
        {
            var mirrored = block.Slice(output.Length, output.Length).ToArray();
            Normalize(mirrored, dim);
            for (int i = 0; i < output.Length; i++) output[i] += mirrored[i];
            Normalize(output, dim);
        }
    }

    /// <summary>Drops a batch that will not be completed, once the device no longer uses its memory.</summary>
    internal void Release(PendingEmbedding batch)
    {
        if (batch.Slot is not { } slot) return;
        if (!_disposed)
        {
            try { slot.Done?.Wait(); }
            catch (ComputeException) { } // the device failed; the batch is lost either way
        }
        Return(batch);
    }

    private void Return(PendingEmbedding batch)
    {
        lock (_sync)
        {
            if (batch.Slot is not { } slot) return;
            batch.Slot = null;
            InFlight--;
            if (!_disposed) _freeSlots.Push(slot);
        }
    }

    /// <summary>The image mirrored left-right (host side: a row reversal of RGB triplets).</summary>
    public static DecodedImage Mirror(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width;
        var src = image.PixelArray;
        var dst = new byte[src.Length];
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * w * 3;
            for (int x = 0; x < w; x++)
            {
                int s = row + x * 3, d = row + (w - 1 - x) * 3;
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2];
            }
        }
        return new DecodedImage(w, image.Height, dst, image.OriginalWidth, image.OriginalHeight, image.Format, image.Orientation, image.HadAlpha);
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
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
        }
        // Queued work may still read or write the slots: let both streams drain first.
        if (!Device.IsDisposed)
        {
            try { _compute.Synchronize(); _upload.Synchronize(); }
            catch (ComputeException) { }
        }
        foreach (var slot in _slots) slot.Dispose(); // batches still pending lose their results
        _slots.Clear();
        _freeSlots.Clear();
        _upload.Dispose();
        foreach (var m in _members) m.Dispose();
        _compute.Dispose();
    }
}
