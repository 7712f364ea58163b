// The decode pipeline: order and ids preserved, bad files reported without stopping their batch,
// cancellation, early exit by the consumer, progress, and the in-flight bound honoured with a slow consumer.
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class DecodePipelineTests
{
    private static DecodedImage Fake(long id) => new(1, 1, [(byte)id, 0, 0], 1, 1, ImageFormat.Png);

    // Decodes "files" whose names are their ids after a random delay, so workers finish out of order.
    private static DecodePipeline FakePipeline(DecodePipelineOptions o, Action<DecodeRequest>? onDecode = null) =>
        new(o, r => [], (_, r) =>
        {
            onDecode?.Invoke(r);
            Thread.Sleep(Random.Shared.Next(0, 3));
            if (r.Path.StartsWith("bad", StringComparison.Ordinal))
                throw new ImageDecodeException(r.Path, ImageFormat.Unknown, DecodeFailureReason.Corrupt, "bad on purpose");
            return Fake(r.Id);
        });

    [Fact]
    public async Task Order_ids_and_batch_sizes_are_preserved_and_failures_stay_in_place()
    {
        var reqs = Enumerable.Range(0, 203).Select(i => new DecodeRequest(1000 + i, i % 17 == 5 ? $"bad{i}" : $"ok{i}")).ToList();
        var p = FakePipeline(new DecodePipelineOptions { WorkerCount = 4, BatchSize = 10, BatchCapacity = 2 });
        var seen = new List<ImageBatchItem>();
        int batches = 0;
        await foreach (var b in p.RunAsync(reqs, null, CancellationToken.None))
        {
            Assert.Equal(batches++, b.Index);
            Assert.True(b.Items.Count == 10 || seen.Count + b.Items.Count == reqs.Count);
            seen.AddRange(b.Items);
        }
        Assert.Equal(21, batches);
        Assert.Equal(reqs.Select(r => r.Id), seen.Select(s => s.Id));
        Assert.Equal(Enumerable.Range(0, 203).Select(i => (long)i), seen.Select(s => s.Sequence));
        foreach (var (r, s) in reqs.Zip(seen))
        {
            Assert.Equal(r.Path, s.Path);
            if (r.Path.StartsWith("bad", StringComparison.Ordinal))
            {
                Assert.Null(s.Image);
                Assert.Equal((r.Path, DecodeFailureReason.Corrupt), (s.Failure!.Path, s.Failure.Reason));
            }
            else Assert.Equal((byte)r.Id, s.Image!.PixelArray[0]);
        }
    }

    [Fact]
    public async Task In_flight_items_stay_within_the_window_with_a_slow_consumer()
    {
        var o = new DecodePipelineOptions { WorkerCount = 2, BatchSize = 4, BatchCapacity = 1 };
        long decoded = 0;
        var p = FakePipeline(o, _ => Interlocked.Increment(ref decoded));
        long consumed = 0, maxAhead = 0;
        await foreach (var b in p.RunAsync(Enumerable.Range(0, 200).Select(i => $"ok{i}")))
        {
            consumed += b.Items.Count;
            await Task.Delay(20); // a slow consumer: the pipeline must stall, not run ahead
            maxAhead = Math.Max(maxAhead, Interlocked.Read(ref decoded) - consumed);
        }
        Assert.Equal(200, consumed);
        Assert.True(maxAhead <= o.MaxItemsInFlight, $"{maxAhead} items decoded ahead of the consumer, bound {o.MaxItemsInFlight}");
    }

    [Fact]
    public async Task Cancellation_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        var p = FakePipeline(new DecodePipelineOptions { WorkerCount = 2, BatchSize = 5 });
        int batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in p.RunAsync(Infinite(), null, cts.Token))
                if (++batches == 3) cts.Cancel();
        });
        Assert.Equal(3, batches);
    }

    [Fact]
    public async Task Consumer_may_stop_early_on_an_endless_input()
    {
        var p = FakePipeline(new DecodePipelineOptions { WorkerCount = 2, BatchSize = 8 });
        await foreach (var b in p.RunAsync(Infinite(), null, CancellationToken.None))
            if (b.Index == 2) break; // must return, not hang on the endless producer
    }

    [Fact]
    public async Task Progress_is_reported()
    {
        var reports = new List<DecodeProgress>();
        var progress = new SyncProgress(reports);
        var p = FakePipeline(new DecodePipelineOptions { WorkerCount = 2, BatchSize = 7 });
        await foreach (var _ in p.RunAsync(Enumerable.Range(0, 30).Select(i => i % 10 == 0 ? $"bad{i}" : $"ok{i}"), progress)) { }
        lock (reports)
        {
            Assert.Contains(reports, r => r.Completed == 30);
            Assert.Equal(3, reports.Max(r => r.Failed));
            Assert.Equal(5, reports.Max(r => r.BatchesDelivered));
        }
    }

    [Fact]
    public async Task Input_enumeration_errors_surface_after_earlier_batches()
    {
        static IEnumerable<string> Broken() { for (int i = 0; i < 10; i++) yield return $"ok{i}"; throw new IOException("listing failed"); }
        var p = FakePipeline(new DecodePipelineOptions { WorkerCount = 2, BatchSize = 5 });
        int items = 0;
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => { await foreach (var b in p.RunAsync(Broken())) items += b.Items.Count; });
        Assert.Equal(10, items);
        Assert.IsType<IOException>(e.InnerException);
    }

    [SharedFact("testdata/decoders/go_image_testdata", "testdata/decoders/pngsuite_full")]
    public async Task Real_files_good_and_bad()
    {
        var good = Corpus.Files("go_image_testdata", "*.jpeg").Where(f => !f.Contains("truncated")).ToList();
        var bad = Corpus.Files("pngsuite_full/corrupted", "x*.png").ToList();
        var missing = "/nonexistent/dir/missing.png";
        var all = good.Concat(bad).Append(missing).ToList();
        var p = new DecodePipeline(new DecodePipelineOptions { BatchSize = 8 });
        var items = new List<ImageBatchItem>();
        await foreach (var b in p.RunAsync(all)) items.AddRange(b.Items);
        Assert.Equal(all, items.Select(i => i.Path));
        Assert.All(items.Take(good.Count), i => Assert.True(i.Succeeded, i.Failure?.Message));
        Assert.All(items.Skip(good.Count), i => Assert.NotNull(i.Failure));
        Assert.Equal(DecodeFailureReason.IoError, items[^1].Failure!.Reason);
    }

    private static IEnumerable<string> Infinite() { for (long i = 0; ; i++) yield return $"ok{i}"; }

    /// <summary>Progress that records synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(List<DecodeProgress> sink) : IProgress<DecodeProgress>
    {
        public void Report(DecodeProgress value) { lock (sink) sink.Add(value); }
    }
}
