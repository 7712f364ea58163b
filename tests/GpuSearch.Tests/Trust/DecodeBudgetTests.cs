// The decode-memory budget: workers wait for their share instead of overcommitting, an image larger than
// the whole budget decodes alone, cancellation ends a wait; the worker count is capped before any side effect.
using GpuSearch.Imaging;
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Trust;

public sealed class DecodeBudgetTests
{
    private const long Small = 1000, Big = 3000; // sides: 24 MB and 216 MB of estimated working memory
    private static readonly long SmallBytes = Small * Small * DecodeMemoryBudget.BytesPerPixel;

    /// <summary>A pipeline whose fake decoder goes through the real header check, then records how many
    /// decodes are inside at once (and how many when a big one is).</summary>
    private static (DecodePipeline Pipeline, Func<(int Max, int MaxBesideBig)> Observed) Pipeline(long budget, int workers)
    {
        int inside = 0, max = 0, maxBesideBig = 0;
        var gate = new object();
        var p = new DecodePipeline(new DecodePipelineOptions { WorkerCount = workers, BatchSize = 8, DecodeMemoryBudget = budget }, _ => [1], (_, r) =>
        {
            bool big = r.Path.StartsWith("big", StringComparison.Ordinal);
            long side = big ? Big : Small;
            ImageLimits.Check(r.Path, ImageFormat.Png, side, side, DecodeOptions.Default);
            lock (gate) { inside++; max = Math.Max(max, inside); if (big) maxBesideBig = Math.Max(maxBesideBig, inside); }
            Thread.Sleep(5);
            lock (gate) { if (big) maxBesideBig = Math.Max(maxBesideBig, inside); inside--; }
            return new DecodedImage(1, 1, [0, 0, 0], 1, 1, ImageFormat.Png);
        });
        return (p, () => (max, maxBesideBig));
    }

    [Fact]
    public async Task Workers_wait_for_their_share_and_a_huge_image_decodes_alone()
    {
        var (p, observed) = Pipeline(3 * SmallBytes, workers: 6);
        var paths = Enumerable.Range(0, 60).Select(i => i % 15 == 7 ? $"big{i}" : $"small{i}").ToList();
        int ok = 0;
        await foreach (var b in p.RunAsync(paths)) ok += b.Items.Count(i => i.Succeeded);
        Assert.Equal(60, ok); // the big ones are not refused
        var (max, maxBesideBig) = observed();
        Assert.InRange(max, 1, 3);         // 6 workers, but only 3 small decodes fit the budget
        Assert.Equal(1, maxBesideBig);     // nothing else decodes beside an image larger than the budget
    }

    [Fact]
    public async Task A_budget_smaller_than_one_image_still_delivers_everything_in_order()
    {
        // Decoded pixels stay charged until delivery and every decode exceeds the budget: only the rule that the
        // next item to deliver never waits for decoded images keeps this from deadlocking.
        var p = new DecodePipeline(new DecodePipelineOptions { WorkerCount = 4, BatchSize = 3, BatchCapacity = 1, DecodeMemoryBudget = 1000 },
            _ => [1], (_, r) =>
            {
                ImageLimits.Check(r.Path, ImageFormat.Png, 100, 100, DecodeOptions.Default);
                return new DecodedImage(100, 100, new byte[100 * 100 * 3], 100, 100, ImageFormat.Png);
            });
        var seen = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var b in p.RunAsync(Enumerable.Range(0, 40).Select(i => $"f{i}"), null, cts.Token))
        {
            seen.AddRange(b.Items.Select(i => i.Path));
            await Task.Delay(2, cts.Token); // a slow consumer
        }
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"f{i}"), seen);
    }

    [Fact]
    public async Task Decoded_pixels_stay_charged_until_returned_but_never_block_the_next_item_to_deliver()
    {
        var budget = new DecodeMemoryBudget(SmallBytes);
        long kept;
        using (var s = budget.Enter(CancellationToken.None))
        {
            DecodeMemoryBudget.Reserve(Small, Small);
            kept = s.Close(Small * Small * 3);
        }
        Assert.Equal(Small * Small * 3, kept);
        Assert.Equal(kept, budget.Held);

        // The next item to deliver proceeds beside kept pixels (nothing else is decoding).
        await Task.Factory.StartNew(() =>
        {
            using var s = budget.Enter(CancellationToken.None, mustProceed: () => true);
            DecodeMemoryBudget.Reserve(Small, Small);
        }, TaskCreationOptions.LongRunning).WaitAsync(TimeSpan.FromSeconds(20));

        // Any other item waits until the kept pixels are returned.
        var waiter = Task.Factory.StartNew(() =>
        {
            using var s = budget.Enter(CancellationToken.None);
            DecodeMemoryBudget.Reserve(Small, Small);
        }, TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        Assert.False(waiter.IsCompleted, "a decode went ahead although decoded pixels filled the budget");
        budget.Return(kept);
        await waiter.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void Reserve_outside_a_pipeline_is_free_and_a_scope_releases_everything()
    {
        DecodeMemoryBudget.Reserve(Big, Big); // no scope: a single decode is not budgeted
        var budget = new DecodeMemoryBudget(2 * SmallBytes);
        using (budget.Enter(CancellationToken.None))
        {
            DecodeMemoryBudget.Reserve(Small, Small);
            Assert.Equal(SmallBytes, budget.Held);
        }
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public async Task A_waiting_decode_ends_when_cancelled()
    {
        var budget = new DecodeMemoryBudget(SmallBytes);
        using var release = new ManualResetEventSlim();
        var holder = Task.Factory.StartNew(() =>
        {
            using var s = budget.Enter(CancellationToken.None);
            DecodeMemoryBudget.Reserve(Small, Small);
            release.Wait(TimeSpan.FromSeconds(30));
        }, TaskCreationOptions.LongRunning);
        SpinWait.SpinUntil(() => budget.Held > 0, 5000);
        using var cts = new CancellationTokenSource();
        var waiter = Task.Factory.StartNew(() =>
        {
            using var s = budget.Enter(cts.Token);
            DecodeMemoryBudget.Reserve(Small, Small);
        }, TaskCreationOptions.LongRunning);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(20)));
        release.Set();
        await holder.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void Too_many_workers_is_a_usage_error_before_the_index_is_created()
    {
        Assert.Throws<ArgumentException>(() => new DecodePipeline(new DecodePipelineOptions { WorkerCount = DecodePipelineOptions.MaxWorkerCount + 1 }));
        using var dir = new TempDir();
        var db = Path.Combine(dir.Path, "db");
        var e = Assert.Throws<ArgumentException>(() => ImageSearchEngine.Open(db, new EngineOptions { DecodeWorkers = 100_000, Device = "cpu" }));
        Assert.Contains("--workers must be between 1 and", e.Message);
        Assert.DoesNotContain("Parameter", e.Message);
        Assert.False(Directory.Exists(db));
    }
}
