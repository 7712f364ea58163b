// Streaming a database larger than the device budget in chunks, and sharding it over two devices,
// must give results identical to one resident scan (both the fused and the large-k path).
using GpuSearch.Compute;
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class ChunkedShardedTests
{
    private const int N = 3333, D = 29, Nq = 5;

    private static (float[] Db, float[] Q, long[] Ids) Data(int seed) =>
        (SearchData.ClusteredWithTies(N, D, seed), SearchData.ClusteredWithTies(Nq, D, seed + 1), SearchData.Ids(N, seed + 2));

    [Theory]
    [InlineData(Metric.Ip, VectorStorage.Fp32)]
    [InlineData(Metric.L2, VectorStorage.Fp16)]
    [InlineData(Metric.Cosine, VectorStorage.Int8)]
    public void Chunked_EqualsResident(Enum metricValue, Enum storageValue)
    {
        var metric = (Metric)metricValue;
        var storage = (VectorStorage)storageValue;
        var (db, q, ids) = Data(11 + (int)storage);
        using var resident = new FlatIndex(SearchData.Device, D, storage);
        // A 1-byte budget forces streaming; 1024-row chunks give 4 chunks with a partial last one.
        using var streamed = new FlatIndex(SearchData.Device, D, storage, new VectorSetOptions { DeviceBudgetBytes = 1, StreamChunkRows = 1024 });
        resident.Add(db, ids);
        streamed.Add(db, ids);
        foreach (var k in new[] { 1, 17, 300, 2000 })
        {
            var a = resident.Search(q, k, metric);
            var b = streamed.Search(q, k, metric);
            KnnAssert.Exact(a, b, $"chunked {metric}/{storage} k={k}");
        }
        var ra = resident.RangeSearch(q, metric == Metric.L2 ? 40f : 5f, 50, metric);
        var rb = streamed.RangeSearch(q, metric == Metric.L2 ? 40f : 5f, 50, metric);
        Assert.Equal(ra.Offsets, rb.Offsets);
        Assert.Equal(ra.Ids, rb.Ids);
        Assert.Equal(ra.Dropped, rb.Dropped);
        Assert.True(streamed.Set.Mirror().IsResident == false);

        // Appends and removals after streamed searches keep both in step.
        var extra = SearchData.ClusteredWithTies(700, D, 99);
        var extraIds = Enumerable.Range(0, 700).Select(i => 1_000_000L + i).ToArray();
        foreach (var index in new[] { resident, streamed })
        {
            index.Add(extra, extraIds);
            index.Remove(ids.AsSpan(0, 500));
        }
        foreach (var k in new[] { 17, 1500 })
            KnnAssert.Exact(resident.Search(q, k, metric), streamed.Search(q, k, metric), $"chunked after append/remove {metric}/{storage} k={k}");
    }

    [Theory]
    [InlineData(Metric.Ip)]
    [InlineData(Metric.L2)]
    public void Sharded_EqualsSingle(Enum metricValue)
    {
        var metric = (Metric)metricValue;
        var (db, q, ids) = Data(21);
        using var second = DeviceRegistry.Default.Open("cpu"); // a second instance of the PoCL device
        using var single = new FlatIndex(SearchData.Device, D);
        using var sharded = new ShardedIndex([SearchData.Device, second], D);
        single.Add(db, ids);
        // Two batches so the shards receive interleaved id ranges.
        sharded.Add(db.AsSpan(0, 2000 * D), ids.AsSpan(0, 2000));
        sharded.Add(db.AsSpan(2000 * D), ids.AsSpan(2000));
        Assert.Equal(N, sharded.Count);
        Assert.All(sharded.Shards, s => Assert.True(s.Count > 0));
        foreach (var k in new[] { 1, 17, 300, 2000, N + 5 })
            KnnAssert.Exact(single.Search(q, k, metric), sharded.Search(q, k, metric), $"sharded {metric} k={k}");
        var filter = IdFilter.FromIds(ids.Where((_, i) => i % 3 == 0).ToArray());
        KnnAssert.Exact(single.Search(q, 50, metric, filter), sharded.Search(q, 50, metric, filter), $"sharded filtered {metric}");
        var ra = single.RangeSearch(q, metric == Metric.L2 ? 40f : 5f, 20, metric);
        var rb = sharded.RangeSearch(q, metric == Metric.L2 ? 40f : 5f, 20, metric);
        Assert.Equal(ra.Offsets, rb.Offsets);
        Assert.Equal(ra.Ids, rb.Ids);
        Assert.Equal(ra.Scores, rb.Scores);
        Assert.Equal(ra.Dropped, rb.Dropped);
        Assert.Equal(2, sharded.Remove([ids[0], ids[N - 1], -5]));
        single.Remove([ids[0], ids[N - 1]]);
        KnnAssert.Exact(single.Search(q, 100, metric), sharded.Search(q, 100, metric), $"sharded after removal {metric}");
    }
}
