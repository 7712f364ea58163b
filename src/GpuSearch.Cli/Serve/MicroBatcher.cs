// Collects concurrent requests into batches for one call of a batch function: the first request of a batch waits
// at most the window for company (or until the batch is full), then the whole batch runs at once on the batcher's
// own thread. Under load, requests that arrive while a batch runs form the next one, so 64 clients cost a few
// device passes, not 64; alone, a request pays at most the window.
using System.Threading.Channels;

namespace GpuSearch.Cli.Serve;

internal sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> _process;
    private readonly int _maxBatch;
    private readonly TimeSpan _window;
    private readonly Channel<(TIn Item, TaskCompletionSource<TOut> Done)> _queue;
    private readonly Task _loop;
    private long _batches, _items;

    /// <param name="process">Runs one batch; returns one output per input, in order. An exception fails the whole batch.</param>
    /// <param name="maxBatch">Most inputs per call of <paramref name="process"/>.</param>
    /// <param name="window">How long the first input of a batch waits for more.</param>
    /// <param name="maxQueued">Inputs waiting beyond this make <see cref="SubmitAsync"/> wait (back-pressure).</param>
    public MicroBatcher(Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> process, int maxBatch, TimeSpan window, int maxQueued = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        _process = process;
        _maxBatch = maxBatch;
        _window = window;
        _queue = Channel.CreateBounded<(TIn, TaskCompletionSource<TOut>)>(new BoundedChannelOptions(maxQueued) { SingleReader = true });
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Calls of the batch function so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Inputs processed so far.</summary>
    public long Items => Interlocked.Read(ref _items);

    /// <summary>Queues one input; completes with its output when its batch has run.</summary>
    public async Task<TOut> SubmitAsync(TIn item, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync((item, done), ct);
        // A cancelled caller stops waiting; its input may still run with its batch, and the output is dropped.
        return await done.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var batch = new List<(TIn Item, TaskCompletionSource<TOut> Done)>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var x)) batch.Add(x);
            if (batch.Count == 0) continue;
            if (batch.Count < _maxBatch && _window > TimeSpan.Zero)
            {
                using var windowEnd = new CancellationTokenSource(_window);
                try
                {
                    while (batch.Count < _maxBatch && await reader.WaitToReadAsync(windowEnd.Token))
                        while (batch.Count < _maxBatch && reader.TryRead(out var x)) batch.Add(x);
                }
                catch (OperationCanceledException) when (windowEnd.IsCancellationRequested) { }
            }
            Run(batch);
        }
    }

    private void Run(List<(TIn Item, TaskCompletionSource<TOut> Done)> batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _items, batch.Count);
        try
        {
            var outputs = _process(batch.Select(b => b.Item).ToArray());
            if (outputs.Count != batch.Count) throw new InvalidOperationException($"the batch function returned {outputs.Count} outputs for {batch.Count} inputs");
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(outputs[i]);
        }
        catch (Exception e)
        {
            foreach (var b in batch) b.Done.TrySetException(e);
        }
    }

    /// <summary>Stops taking inputs and waits for the queued ones to run.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
