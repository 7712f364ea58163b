// The duplicates view's data: ImageSearchEngine.FindDuplicates at a threshold, turned into groups of members
// (id, path, file links) with the pairs found inside each group. An all-pairs search costs O(N²·D) on the device
// and holds the index's lock, so each answer is computed once per threshold and kept until the index changes:
// each answer remembers the engine's Revision it was computed at, which moves with this server's own adds and
// deletes and, for a read-only server beside a running indexer, with the indexer's commits and whitening.
// (In --writable mode POST and DELETE /items also call Invalidate, which frees the memory at once.) The
// computation runs apart from the request: a request that times out leaves it running and a later one gets the
// answer. Bounded three ways: thresholds from 0.5 to 1, an item-count cap (503 above it: use `gpusearch dedup`),
// and at most MaxEntries computations running at once (503 Busy beyond) and thresholds cached.
using System.Diagnostics;
using GpuSearch.Dedup;

namespace GpuSearch.Cli.Serve;

internal sealed record DuplicateMember(long Id, string Path, string Image, string Thumb);

internal sealed record DuplicatePairScore(long A, long B, float Score, bool Identical);

internal sealed record DuplicateGroup(IReadOnlyList<DuplicateMember> Members, IReadOnlyList<DuplicatePairScore> Pairs);

internal sealed record DuplicatesResponse(float Threshold, long Items, int TruncatedItems, IReadOnlyList<DuplicateGroup> Groups, double ComputeMs);

internal sealed class DuplicateGroups(ImageSearchEngine engine, long maxItems, IReadOnlyDictionary<string, float>? spaces = null)
{
    public const float MinThreshold = 0.5f, MaxThreshold = 1f;
    public const int MaxEntries = 8;

    private readonly object _lock = new();
    private readonly Dictionary<float, (long Revision, Task<DuplicatesResponse> Answer)> _cache = [];
    private int _running;

    /// <summary>Computations started so far (a cached answer starts none).</summary>
    public int Computations { get; private set; }

    /// <summary>Forgets every answer: the index changed.</summary>
    public void Invalidate()
    {
        // A computation already running finishes for the requests that asked before the change; nobody new gets it.
        lock (_lock) _cache.Clear();
    }

    /// <exception cref="ApiException">503 when the index is over the item cap or every cache slot is still computing.</exception>
    public Task<DuplicatesResponse> GetAsync(float threshold, CancellationToken ct)
    {
        Task<DuplicatesResponse> answer;
        long revision = engine.Revision; // outside the lock: for a read-only engine it first loads the writer's commits
        lock (_lock)
        {
            if (!_cache.TryGetValue(threshold, out var cached) || cached.Revision != revision || cached.Answer.IsFaulted || cached.Answer.IsCanceled)
            {
                long count = engine.Count;
                if (count > maxItems)
                    throw new ApiException(503, "IndexTooLarge",
                        $"the index holds {count} items; the server finds duplicates among at most {maxItems} (run `gpusearch dedup` on the index instead)");
                // Counted apart from the cache: Invalidate drops entries whose computations still run.
                if (_running >= MaxEntries)
                    throw new ApiException(503, "Busy", $"{MaxEntries} duplicate searches are still running; try again shortly");
                foreach (var done in _cache.Where(kv => kv.Value.Answer.IsCompleted).Select(kv => kv.Key).ToArray())
                    if (_cache.Count >= MaxEntries) _cache.Remove(done);
                _running++;
                var entry = Task.Run(() =>
                {
                    try { return Compute(threshold); }
                    finally { lock (_lock) _running--; }
                });
                cached = (revision, entry);
                _cache[threshold] = cached;
                Computations++;
            }
            answer = cached.Answer;
        }
        return answer.WaitAsync(ct);
    }

    private DuplicatesResponse Compute(float threshold)
    {
        var sw = Stopwatch.StartNew();
        var report = engine.FindDuplicates(new DedupOptions { Threshold = threshold, Spaces = spaces });
        var groupOf = new Dictionary<long, int>();
        for (int g = 0; g < report.Groups.Count; g++) foreach (var id in report.Groups[g]) groupOf[id] = g;
        var pairs = report.Pairs.GroupBy(p => groupOf[p.A]).ToDictionary(g => g.Key, g => g.Select(p => new DuplicatePairScore(p.A, p.B, p.Score, p.Identical)).ToArray());
        var groups = report.Groups.Select((ids, g) => new DuplicateGroup(
            ids.Select(id => new DuplicateMember(id, engine.GetItem(id)?.Path ?? "", $"/images/{id}", $"/thumbs/{id}")).ToArray(),
            pairs.GetValueOrDefault(g, []))).ToArray();
        return new DuplicatesResponse(threshold, engine.Count, report.Truncated, groups, Math.Round(sw.Elapsed.TotalMilliseconds, 3));
    }
}
