// A bounded producer/consumer decode pipeline on System.Threading.Channels:
//   producer (enumerates requests) → work channel → N worker threads (read file + decode) →
//   result channel → assembler (restores input order, cuts batches) → bounded batch channel → consumer.
// Memory is bounded by a window of MaxItemsInFlight permits: the producer takes one per request and the
// consumer's side gives them back when it receives the batch, so however long the input, at most that many
// decoded images exist inside the pipeline; in bytes, a DecodeMemoryBudget bounds decode working memory and
// the decoded pixels not yet delivered. Device upload is the consumer's business, not this class's.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace GpuSearch.Imaging;

/// <summary>Decodes many files on worker threads and delivers ordered batches of results.</summary>
internal sealed class DecodePipeline
{
    private readonly DecodePipelineOptions _options;
    private readonly Func<DecodeRequest, byte[]> _read;
    private readonly Func<byte[], DecodeRequest, DecodedImage> _decode;

    /// <summary>Creates a pipeline with the given (or default) options.</summary>
    public DecodePipeline(DecodePipelineOptions? options = null) : this(options, null, null) { }

    /// <summary>Test seam: replace file reading and/or decoding.</summary>
    internal DecodePipeline(DecodePipelineOptions? options, Func<DecodeRequest, byte[]>? read, Func<byte[], DecodeRequest, DecodedImage>? decode)
    {
        _options = options ?? new DecodePipelineOptions();
        _options.Validate();
        _read = read ?? ReadFile;
        _decode = decode ?? ((bytes, r) => ImageDecoder.Decode(bytes, r.Path, _options.Decode));
    }

    /// <summary>The options in force.</summary>
    public DecodePipelineOptions Options => _options;

    /// <summary>Decodes files, numbering them 0, 1, 2… as ids.</summary>
    public IAsyncEnumerable<ImageBatch> RunAsync(IEnumerable<string> paths, IProgress<DecodeProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(paths.Select((p, i) => new DecodeRequest(i, p)), progress, cancellationToken);

    /// <summary>Decodes the requests; yields batches in input order. Per-item failures are reported inside the
    /// batches. Cancelling throws <see cref="OperationCanceledException"/> from the enumeration; an exception thrown
    /// by the input enumerable is rethrown after the batches before it have been delivered.</summary>
    public async IAsyncEnumerable<ImageBatch> RunAsync(IEnumerable<DecodeRequest> requests, IProgress<DecodeProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        using var run = new RunState(_options, progress);
        var work = Channel.CreateBounded<(long Seq, DecodeRequest Req)>(new BoundedChannelOptions(_options.WorkerCount * 2)
            { SingleWriter = true, SingleReader = false });
        var results = Channel.CreateUnbounded<ImageBatchItem>(new UnboundedChannelOptions { SingleReader = true });
        var batches = Channel.CreateBounded<ImageBatch>(new BoundedChannelOptions(_options.BatchCapacity) { SingleWriter = true, SingleReader = true });

        Exception? inputError = null;
        var producer = Task.Run(async () =>
        {
            long seq = 0;
            try
            {
                foreach (var r in requests)
                {
                    await run.Window.WaitAsync(token).ConfigureAwait(false);
                    await work.Writer.WriteAsync((seq++, r), token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { }
            catch (Exception e) { inputError = e; }
            finally { work.Writer.TryComplete(); }
        }, CancellationToken.None);

        var workers = new Task[_options.WorkerCount];
        for (int i = 0; i < workers.Length; i++)
            workers[i] = Task.Factory.StartNew(() => WorkerLoop(work.Reader, results.Writer, run, token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var workersDone = Task.WhenAll(workers).ContinueWith(_ => results.Writer.TryComplete(), TaskScheduler.Default);
        var assembler = Task.Run(() => AssembleAsync(results.Reader, batches.Writer, run, token), CancellationToken.None);

        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                // ReadAllAsync hands out batches already buffered without looking at the token again: a consumer
                // that cancelled must not be given one more.
                cancellationToken.ThrowIfCancellationRequested();
                run.Window.Release(batch.Items.Count);
                run.Budget.Return(batch.Items.Sum(i => i.BudgetBytes));
                run.Delivered(batch);
                yield return batch;
            }
        }
        finally
        {
            // Also reached when the consumer stops early: stop the stages and wait so no thread outlives the run.
            stop.Cancel();
            try { await Task.WhenAll(producer, workersDone, assembler).ConfigureAwait(false); } catch { /* stages report through channels */ }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (inputError is not null) throw new InvalidOperationException("enumerating the decode requests failed: " + inputError.Message, inputError);
    }

    private void WorkerLoop(ChannelReader<(long Seq, DecodeRequest Req)> reader, ChannelWriter<ImageBatchItem> writer, RunState run, CancellationToken token)
    {
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var job))
                {
                    // Blocking wait is fine: this is a dedicated (LongRunning) thread, not a pool thread.
                    if (!reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult()) return;
                    continue;
                }
                var item = DecodeOne(job.Req, job.Seq, run, token);
                writer.TryWrite(item); // unbounded; the window bounds how many can exist
            }
        }
        catch (OperationCanceledException) { }
    }

    private ImageBatchItem DecodeOne(DecodeRequest req, long seq, RunState run, CancellationToken token)
    {
        try
        {
            token.ThrowIfCancellationRequested();
            var bytes = _read(req);
            _options.OnFileRead?.Invoke(req, bytes);
            run.AddBytes(bytes.Length);
            DecodedImage? image = null;
            long kept = 0;
            var scope = run.Budget.Enter(token, () => seq <= run.NextToAssemble);
            try { image = _decode(bytes, req); }
            finally { kept = scope.Close(image?.PixelArray.Length ?? 0); }
            return run.Completed(new ImageBatchItem(req, seq, image, null) { BudgetBytes = kept });
        }
        catch (ImageDecodeException e)
        {
            return run.Completed(new ImageBatchItem(req, seq, null, new DecodeFailure(req.Path, e.Reason, e.Message)));
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            // Anything else (an I/O error from a custom reader, a bug) still fails only this item.
            var reason = e is IOException or UnauthorizedAccessException ? DecodeFailureReason.IoError : DecodeFailureReason.Corrupt;
            return run.Completed(new ImageBatchItem(req, seq, null, new DecodeFailure(req.Path, reason, $"{e.GetType().Name}: {e.Message}")));
        }
    }

    private async Task AssembleAsync(ChannelReader<ImageBatchItem> reader, ChannelWriter<ImageBatch> writer, RunState run, CancellationToken token)
    {
        try
        {
            // Workers finish out of order; hold early arrivals until the next expected sequence number shows up.
            var pending = new Dictionary<long, ImageBatchItem>();
            long next = 0;
            int index = 0;
            var current = new List<ImageBatchItem>(_options.BatchSize);
            await foreach (var item in reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                pending[item.Sequence] = item;
                while (pending.Remove(next, out var ready))
                {
                    current.Add(ready);
                    next++;
                    run.Assembled(next);
                    if (current.Count == _options.BatchSize)
                    {
                        await writer.WriteAsync(new ImageBatch(index++, current), token).ConfigureAwait(false);
                        current = new List<ImageBatchItem>(_options.BatchSize);
                    }
                }
            }
            if (current.Count > 0) await writer.WriteAsync(new ImageBatch(index, current), token).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e) { writer.TryComplete(e is OperationCanceledException ? null : e); }
    }

    private byte[] ReadFile(DecodeRequest r)
    {
        try
        {
            return IO.UntrustedFile.ReadAllBytes(r.Path, _options.MaxFileBytes);
        }
        catch (IO.FileTooLargeException e)
        {
            throw new ImageDecodeException(r.Path, ImageFormat.Unknown, DecodeFailureReason.TooLarge, $"file is {e.Length} bytes, MaxFileBytes is {_options.MaxFileBytes}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ImageDecodeException(r.Path, ImageFormat.Unknown, DecodeFailureReason.IoError, e.Message, e);
        }
    }

    /// <summary>Per-run counters, the window semaphore and progress reporting.</summary>
    private sealed class RunState(DecodePipelineOptions options, IProgress<DecodeProgress>? progress) : IDisposable
    {
        public void Dispose() => Window.Dispose(); // only after every stage has finished (see RunAsync's finally)

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _completed, _failed, _bytes;
        private int _batches;
        public SemaphoreSlim Window { get; } = new(options.MaxItemsInFlight, options.MaxItemsInFlight);
        public DecodeMemoryBudget Budget { get; } = new(options.DecodeMemoryBudget);

        public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);

        private long _nextToAssemble;

        /// <summary>The lowest sequence number not yet placed in a batch: that item's decode never waits for the budget.</summary>
        public long NextToAssemble => Interlocked.Read(ref _nextToAssemble);

        public void Assembled(long next)
        {
            Interlocked.Exchange(ref _nextToAssemble, next);
            Budget.Wake();
        }

        public ImageBatchItem Completed(ImageBatchItem item)
        {
            Interlocked.Increment(ref _completed);
            if (!item.Succeeded) Interlocked.Increment(ref _failed);
            Report();
            return item;
        }

        public void Delivered(ImageBatch _) { Interlocked.Increment(ref _batches); Report(); }

        private void Report() => progress?.Report(new DecodeProgress(Interlocked.Read(ref _completed), Interlocked.Read(ref _failed),
            Interlocked.Read(ref _bytes), Volatile.Read(ref _batches), _clock.Elapsed));
    }
}
