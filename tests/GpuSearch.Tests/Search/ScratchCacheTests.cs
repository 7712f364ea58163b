// Scan scratch buffers stay with the vector set between searches (no device free per search, which on CUDA would
// wait for the whole device), results stay the same, and the cache is bounded.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class ScratchCacheTests
{
    private const int D = 16;

    [Fact]
    public void Repeated_searches_reuse_the_scratch_and_answer_the_same()
    {
        var db = SearchData.Random(500, D, 71);
        var q = SearchData.Random(3, D, 72);
        using var index = new FlatIndex(SearchData.Device, D);
        index.Add(db, SearchData.Ids(500, 73));
        var first = index.Search(q, 10, Metric.Ip);
        var cache = index.Set.Mirror().Scratch;
        long kept = cache.Bytes;
        Assert.True(kept > 0, "a search left no scratch buffers for the next one");
        for (int i = 0; i < 3; i++)
        {
            var again = index.Search(q, 10, Metric.Ip);
            Assert.Equal(first.Ids, again.Ids);
            Assert.Equal(first.Scores, again.Scores);
            Assert.Equal(kept, cache.Bytes); // the same buffers came back: nothing new was allocated
        }
    }

    [Fact]
    public void The_cache_frees_what_passes_its_limit()
    {
        using var cache = new ScratchCache { LimitBytes = 1000 };
        var a = SearchData.Device.Allocate(600);
        var b = SearchData.Device.Allocate(600);
        cache.Return(a);
        cache.Return(b); // 1200 > 1000: freed, not kept
        Assert.Equal(600, cache.Bytes);
        Assert.True(b.IsDisposed);
        Assert.Same(a, cache.Take(500));
        Assert.Null(cache.Take(1));
    }
}
