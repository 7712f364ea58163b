// The micro-batcher: concurrent requests share batch calls (fewer calls than requests), each gets its own output,
// a failing batch fails only its own requests, and with the real engine a batched search answers exactly as one
// search at a time does.
using GpuSearch.Cli.Serve;

namespace GpuSearch.Tests.Serve;

public sealed class MicroBatcherTests
{
    [Fact]
    public async Task RequestsArrivingWhileABatchRunsShareTheNextBatch()
    {
        using var firstStarted = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var sizes = new List<int>();
        await using var batcher = new MicroBatcher<int, int>(batch =>
        {
            lock (sizes) sizes.Add(batch.Count);
            if (sizes.Count == 1) { firstStarted.Release(); release.Wait(); }
            return batch.Select(x => x * 10).ToArray();
        }, maxBatch: 8, window: TimeSpan.Zero);

        var first = batcher.SubmitAsync(1);
        await firstStarted.WaitAsync();
        // While the first batch holds the "device", 20 more requests queue: they go as batches of at most 8.
        var rest = Enumerable.Range(2, 20).Select(i => batcher.SubmitAsync(i)).ToArray();
        release.Release();
        Assert.Equal(10, await first);
        Assert.Equal(Enumerable.Range(2, 20).Select(i => i * 10), await Task.WhenAll(rest));
        Assert.Equal([1, 8, 8, 4], sizes);
        Assert.Equal(4, batcher.Batches);
        Assert.Equal(21, batcher.Items);
    }

    [Fact]
    public async Task TheWindowGathersRequestsThatArriveTogether()
    {
        int calls = 0;
        await using var batcher = new MicroBatcher<int, int>(batch => { Interlocked.Increment(ref calls); return batch; }, 64, TimeSpan.FromSeconds(2));
        var all = Enumerable.Range(0, 16).Select(i => batcher.SubmitAsync(i)).ToArray();
        Assert.Equal(Enumerable.Range(0, 16), await Task.WhenAll(all));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task AFailingBatchFailsItsRequestsAndTheNextBatchRuns()
    {
        await using var batcher = new MicroBatcher<int, int>(batch => batch.Contains(-1) ? throw new InvalidOperationException("boom") : batch, 4, TimeSpan.Zero);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SubmitAsync(-1));
        Assert.Equal(7, await batcher.SubmitAsync(7));
    }

    [Fact]
    public async Task ACancelledCallerStopsWaiting()
    {
        using var release = new SemaphoreSlim(0);
        await using var batcher = new MicroBatcher<int, int>(batch => { release.Wait(); return batch; }, 4, TimeSpan.Zero);
        var blocking = batcher.SubmitAsync(1);
        using var cts = new CancellationTokenSource();
        var waiting = batcher.SubmitAsync(2, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        release.Release(2);
        Assert.Equal(1, await blocking);
    }
}

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ImageSearcherTests(ServeFixture fx)
{
    [ServeFact]
    public async Task ConcurrentSearchesTakeFewerDevicePassesAndAnswerAsOneAtATime()
    {
        var engine = fx.Engine;
        const int n = 12;
        var requests = Enumerable.Range(0, n).Select(i =>
        {
            var bytes = File.ReadAllBytes(fx.Photos[i % fx.Photos.Length]);
            return (Bytes: bytes, Options: new QueryOptions(1 + i % 4, i % 3 == 0 ? 0.3f : -1f));
        }).ToArray();
        var oneAtATime = requests.Select(r => engine.Search(r.Bytes, "q", r.Options)).ToArray();

        await using var batched = new ImageSearcher(engine, new ServeOptions { BatchWindow = TimeSpan.FromMilliseconds(200) });
        var images = requests.Select(r => engine.Decode(r.Bytes, "q")).ToArray();
        var answers = await Task.WhenAll(requests.Select((r, i) => Task.Run(() => batched.SearchAsync(images[i], r.Options, default))));
        for (int i = 0; i < n; i++) Assert.Equal(oneAtATime[i], answers[i]);
        Assert.Equal(n, batched.Requests);
        Assert.InRange(batched.Batches, 1, n / 2);

        await using var single = new ImageSearcher(engine, new ServeOptions { Batching = false });
        var alone = await Task.WhenAll(requests.Select((r, i) => single.SearchAsync(images[i], r.Options, default)));
        for (int i = 0; i < n; i++) Assert.Equal(oneAtATime[i], alone[i]);
        Assert.Equal(n, single.Batches);
    }
}
