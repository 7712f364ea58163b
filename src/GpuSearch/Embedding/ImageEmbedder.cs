// Turns decoded images into L2-normalised embeddings on one device: GPU preprocessing into a batch tensor,
// the model's forward pass with our kernels, one download of [batch, dim]. Pixels are staged in pinned
// memory and uploaded on a second stream that the device stream waits on by event, so a batch's upload
// runs while the previous batch computes. Not thread-safe; the engine serialises device work.
using GpuSearch.Compute;
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Models.Execution;

namespace GpuSearch.Embedding;

/// <summary>Embeds images with an ONNX model whose input is [N, 3, H, W] and whose chosen output is [N, D] or [N, D, 1, 1].</summary>
internal sealed class ImageEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly GpuPreprocessor _pre;
    private readonly int _maxBatch;
    private readonly int _deviceBatch;
    private readonly ComputeStream _upload;
    private readonly Stack<BatchSlot> _freeSlots = new();
    private readonly List<BatchSlot> _slots = new();
    private DeviceBuffer? _tensor, _out;
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
    /// <summary>The model output used as the embedding.</summary>
    public string OutputName { get; }
    /// <summary>Embedding dimension D.</summary>
    public int Dimension { get; }
    /// <summary>Input height and width the model expects.</summary>
    public (int Width, int Height) InputSize { get; }
    /// <summary>Most images one <see cref="Submit"/> takes (the batch size given at construction).</summary>
    public int MaxBatch => _maxBatch;
    /// <summary>The preprocessing applied to every image.</summary>
    public PreprocessSpec Spec => _pre.Spec;
    /// <summary>
    /// Flip test-time augmentation: each embedding is the L2-normalised mean of the image's and its left-right
    /// mirror's L2-normalised embeddings (both run in the same device batch, so a batch costs twice the compute).
    /// </summary>
    public bool FlipTta { get; }

    /// <summary>GeM pooling applied on the device to the feature map <see cref="PooledValue"/>, or null.</summary>
    public GemPooling? Pooling { get; }
    /// <summary>The [N, C, H, W] value that <see cref="Pooling"/> pools (the <c>outputName</c> given), or null.</summary>
    public string? PooledValue { get; }
    /// <summary>What the embedding is, for the index fingerprint: the output name, or the pooled value and the pooling with its p.</summary>
    public string EmbeddingSource => Pooling is null ? OutputName : $"{PooledValue} pooled {Pooling}";

    /// <summary>Loads the model and checks it fits the preprocessing; errors name the model and the mismatch.</summary>
    /// <remarks>
    /// With <c>pooling</c>, the [N, C, H, W] value named by <c>outputName</c> (required then) is GeM-pooled into the
    /// embedding by a load-time graph rewrite (<see cref="GemPooling.Apply"/>).
    /// </remarks>
    public ImageEmbedder(ComputeDevice device, string modelPath, PreprocessSpec spec, string? outputName = null, int maxBatch = 32,
        SessionOptions? sessionOptions = null, bool flipTta = false, GemPooling? pooling = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (spec.DType != TensorDType.Fp32)
            throw new ArgumentException("The embedder feeds the model fp32 tensors; set the preprocess dtype to fp32", nameof(spec));
        Device = device;
        _maxBatch = maxBatch;
        FlipTta = flipTta;
        _deviceBatch = flipTta ? checked(2 * maxBatch) : maxBatch;
        if (pooling is not null)
        {
            if (outputName is null) throw new ArgumentException("GeM pooling needs the name of the [N,C,H,W] feature map to pool (--output-name)", nameof(outputName));
            (Pooling, PooledValue) = (pooling, outputName);
            outputName = GemPooling.OutputFor(outputName);
        }
        LoadedModel loaded;
        try
        {
            loaded = ModelLoader.Load(modelPath, (sessionOptions ?? SessionOptions.Default).Optimize,
                pooling is null ? null : g => pooling.Apply(g, PooledValue!));
        }
        catch (ArgumentException e) when (pooling is not null) { throw new ArgumentException($"{modelPath}: {e.Message}", e); }
        _session = new InferenceSession(loaded.Graph, device, sessionOptions);
        try
        {
            if (!_session.HasDynamicBatch)
                throw new NotSupportedException($"{modelPath}: an embedding model needs a batch dimension; " +
                    (loaded.FixedBatchReason ?? "export it with a dynamic first input dimension"));
            if (_session.InputNames.Count != 1)
                throw new NotSupportedException($"{modelPath}: an embedding model needs exactly one image input, it has {_session.InputNames.Count}");
            var input = _session.InputNames[0];
            var shape = _session.InputShape(input);
            if (shape is not { Rank: 4 } || !shape[1].IsKnown || shape[1].Value != 3 || !shape[2].IsKnown || !shape[3].IsKnown)
                throw new NotSupportedException($"{modelPath}: input '{input}' must be [N,3,H,W] with known H and W, it is {shape}");
            InputSize = ((int)shape[3].Value, (int)shape[2].Value);
            OutputName = outputName ?? new[] { DefaultModel.OutputName, DefaultModel.NsfwJs.OutputName }.FirstOrDefault(_session.OutputNames.Contains) ?? _session.OutputNames[0];
            if (!_session.OutputNames.Contains(OutputName))
                throw new ArgumentException($"{modelPath} has no output '{OutputName}'; outputs: {string.Join(", ", _session.OutputNames)}", nameof(outputName));
            var outShape = _session.OutputShape(OutputName);
            // [N,D,1,1] (a pooled map, as CNTK and Caffe exports end) has the same memory layout as [N,D].
            if (outShape is null || outShape.Rank < 2 || !outShape[1].IsKnown || outShape.Dims.Skip(2).Any(d => !d.IsKnown || d.Value != 1))
                throw new NotSupportedException($"{modelPath}: output '{OutputName}' must be [N,D] (or [N,D,1,1]), it is {outShape}");
            Dimension = (int)outShape[1].Value;
            _upload = device.CreateStream();
            _pre = new GpuPreprocessor(device, spec, device.Stream, tableStream: _upload);
        }
        catch
        {
            _upload?.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Null when the preprocessing turns an image of this size into the model's input size, else why not (also for a
    /// side the preprocessing cannot take at all, so one such image fails alone instead of stopping a batch).
    /// </summary>
    public string? CheckSize(int width, int height)
    {
        int w, h;
        try { (w, h) = _pre.OutputSize(width, height); }
        catch (ArgumentOutOfRangeException e) { return e.Message; }
        return (w, h) == InputSize ? null
            : $"preprocessing turns {width}×{height} into {w}×{h}, but the model takes {InputSize.Width}×{InputSize.Height}; use a spec with a fixed output size (crop or exact resize)";
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
        for (int i = 0; i < images.Count; i++)
            if (CheckSize(images[i].Width, images[i].Height) is { } why) throw new ArgumentException($"image {i}: {why}", nameof(images));
        var all = images as DecodedImage[] ?? images.ToArray();
        var inFlight = new Queue<(PendingEmbedding Batch, int Start)>();
        try
        {
            for (int start = 0; start < all.Length; start += _maxBatch)
            {
                int n = Math.Min(_maxBatch, all.Length - start);
                inFlight.Enqueue((Submit(new ArraySegment<DecodedImage>(all, start, n)), start));
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
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count < 1 || images.Count > _maxBatch)
            throw new ArgumentException($"a batch holds 1 to {_maxBatch} images, got {images.Count}", nameof(images));
        int count = images.Count;
        if (FlipTta) images = [.. images, .. images.Select(Mirror)]; // rows n..2n-1 are the mirrors of rows 0..n-1
        long largest = 0, total = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            if (CheckSize(img.Width, img.Height) is { } why) throw new ArgumentException($"image {i}: {why}", nameof(images));
            largest = Math.Max(largest, img.PixelArray.LongLength);
            total += img.PixelArray.LongLength;
        }
        var (w, h) = InputSize;
        _tensor ??= _pre.AllocateBatch(_deviceBatch, w, h);
        _out ??= Device.Allocate((long)_deviceBatch * Dimension * 4);
        if (!_freeSlots.TryPop(out var slot)) _slots.Add(slot = new BatchSlot());
        try
        {
            slot.EnsureStaging(Device, Math.Min(total, Math.Max(StagingBytes, largest)));
            slot.EnsureResult(Device, (long)images.Count * Dimension * 4);
            EnqueueGroups(images, slot);
            int n = images.Count;
            var compute = Device.Stream;
            _session.Run(_tensor, 0, n, _out, 0, OutputName);
            compute.DownloadAsync(_out, slot.Result!, 0, (long)n * Dimension * 4);
            slot.Done?.Dispose();
            slot.Done = compute.Record();
        }
        catch
        {
            // Nothing of this batch may still touch the slot's memory when it goes back to the pool.
            try { _upload.Synchronize(); Device.Stream.Synchronize(); }
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
        var compute = Device.Stream;
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
                if (_pre.Spec.Trim is null) _pre.Prepare(images[i].Width, images[i].Height);
                i++;
            }
            _upload.UploadAsync(slot.DevicePixels!, staging, 0, used);
            using (var uploaded = _upload.Record())
            {
                compute.Wait(uploaded);
                var regions = new DeviceImage[i - first];
                for (int j = first; j < i; j++) regions[j - first] = new DeviceImage(offsets[j], images[j].Width, images[j].Height, 3 * images[j].Width);
                // Trimming: all content boxes of the group in one device round trip, then each resize reads its box.
                var boxes = _pre.Spec.Trim is null ? null : _pre.FindContentBoxes(slot.DevicePixels!, regions);
                for (int j = first; j < i; j++)
                {
                    var r = regions[j - first];
                    _pre.Run(slot.DevicePixels!, r.OffsetBytes, r.Width, r.Height, r.StrideBytes,
                        boxes?[j - first] ?? ContentBox.Whole(r.Width, r.Height), _tensor!, j);
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
        slot.Done!.Wait();
        slot.Result!.AsSpan<float>()[..output.Length].CopyTo(output);
        Normalize(output, Dimension);
        if (FlipTta)
        {
            var mirrored = slot.Result!.AsSpan<float>().Slice(output.Length, output.Length).ToArray();
            Normalize(mirrored, Dimension);
            for (int i = 0; i < output.Length; i++) output[i] += mirrored[i];
            Normalize(output, Dimension);
        }
        Return(batch);
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
        var slot = batch.Slot!;
        batch.Slot = null;
        InFlight--;
        if (!_disposed) _freeSlots.Push(slot);
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
        if (_disposed) return;
        _disposed = true;
        // Queued work may still read or write the slots: let both streams drain first.
        if (!Device.IsDisposed)
        {
            try { Device.Stream.Synchronize(); _upload.Synchronize(); }
            catch (ComputeException) { }
        }
        foreach (var slot in _slots) slot.Dispose(); // batches still pending lose their results
        _slots.Clear();
        _freeSlots.Clear();
        _upload.Dispose();
        _tensor?.Dispose();
        _out?.Dispose();
        _pre.Dispose();
        _session.Dispose();
    }
}
