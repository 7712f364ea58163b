// Exact k-NN on the device against the naive reference: every metric and storage type, random and
// clustered data with many exact ties, k from 1 to N+5, N and D not multiples of any tile size.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class KnnCorrectnessTests
{
    public static TheoryData<Enum, Enum, bool> Cases()
    {
        var data = new TheoryData<Enum, Enum, bool>();
        foreach (var m in new[] { Metric.Ip, Metric.Cosine, Metric.L2 })
            foreach (var s in new[] { VectorStorage.Fp32, VectorStorage.Fp16, VectorStorage.Int8 })
                foreach (var clustered in new[] { false, true })
                    data.Add(m, s, clustered);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmallAndBoundaryK_EqualReference(Enum metricValue, Enum storageValue, bool clustered)
    {
        var metric = (Metric)metricValue;
        var storage = (VectorStorage)storageValue;
        const int n = 1037, d = 37, nq = 7; // 1037 = 16*64 + 13 rows; 37 = 2*16 + 5 dims
        int seed = (int)metric * 10 + (int)storage + (clustered ? 100 : 0);
        var db = clustered ? SearchData.ClusteredWithTies(n, d, seed) : SearchData.Random(n, d, seed);
        var q = clustered ? SearchData.ClusteredWithTies(nq, d, seed + 1) : SearchData.Random(nq, d, seed + 1);
        var ids = SearchData.Ids(n, seed);
        using var index = new FlatIndex(SearchData.Device, d, storage);
        index.Add(db, ids);
        var reference = ReferenceDb.Build(db, ids, d, storage);
        foreach (var k in new[] { 1, 2, 17, 100, n, n + 5 })
        {
            var got = index.Search(q, k, metric);
            var (eIds, eScores) = ReferenceKnn.Search(reference, q, k, metric);
            KnnAssert.Exact(eIds, eScores, got.Ids, got.Scores, k, $"{metric}/{storage}/{(clustered ? "clustered" : "random")} k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LargeK_EqualReference(Enum metricValue, Enum storageValue, bool clustered)
    {
        var metric = (Metric)metricValue;
        var storage = (VectorStorage)storageValue;
        const int n = 5003, d = 21, nq = 3; // large k uses the radix-select path; a smaller N keeps it quick
        int seed = 500 + (int)metric * 10 + (int)storage + (clustered ? 100 : 0);
        var db = clustered ? SearchData.ClusteredWithTies(n, d, seed) : SearchData.Random(n, d, seed);
        var q = clustered ? SearchData.ClusteredWithTies(nq, d, seed + 1) : SearchData.Random(nq, d, seed + 1);
        var ids = SearchData.Ids(n, seed);
        using var index = new FlatIndex(SearchData.Device, d, storage);
        index.Add(db, ids);
        var reference = ReferenceDb.Build(db, ids, d, storage);
        foreach (var k in new[] { 1024, 4096, n, n + 5 })
        {
            var got = index.Search(q, k, metric);
            var (eIds, eScores) = ReferenceKnn.Search(reference, q, k, metric);
            KnnAssert.Exact(eIds, eScores, got.Ids, got.Scores, k, $"{metric}/{storage} k={k}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(40)]
    public void QueryBatchSizes_AndForcedLargeKPath_EqualReference(int nq)
    {
        const int n = 777, d = 19;
        var db = SearchData.ClusteredWithTies(n, d, 71);
        var q = SearchData.Random(nq, d, 72);
        var ids = SearchData.Ids(n, 73);
        using var index = new FlatIndex(SearchData.Device, d);
        index.Add(db, ids);
        var reference = ReferenceDb.Build(db, ids, d, VectorStorage.Fp32);
        // RPW 1 and select groups of 256 are the GPU configuration; running them here keeps that code tested.
        foreach (var (fusedMax, rpw, selWg) in new[] { (256, 16, 1), (4, 16, 1), (256, 1, 256), (4, 1, 256), (4, 4, 64) })
        {
            index.Tuning = new ScanTuning { FusedMaxK = fusedMax, ScratchBytes = 64 * 1024, RowsPerWorkItem = rpw, SelectGroupSize = selWg };
            foreach (var k in new[] { 1, 17, 100 })
            {
                var got = index.Search(q, k, Metric.L2);
                var (eIds, eScores) = ReferenceKnn.Search(reference, q, k, Metric.L2);
                KnnAssert.Exact(eIds, eScores, got.Ids, got.Scores, k, $"nq={nq} fusedMax={fusedMax} rpw={rpw} selWg={selWg} k={k}");
            }
        }
    }
}
