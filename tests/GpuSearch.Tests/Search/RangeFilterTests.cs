// Range search (threshold, cap, dropped count) and the allow-list bitmap applied inside the scan,
// against the naive reference; both paths (fused and large-k) and their combination.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class RangeFilterTests
{
    private const int N = 1501, D = 23, Nq = 6;

    [Theory]
    [InlineData(Metric.Ip)]
    [InlineData(Metric.Cosine)]
    [InlineData(Metric.L2)]
    public void Range_EqualsReference(Enum metricValue)
    {
        var metric = (Metric)metricValue;
        var db = SearchData.ClusteredWithTies(N, D, 31);
        var q = SearchData.ClusteredWithTies(Nq, D, 32);
        var ids = SearchData.Ids(N, 33);
        using var index = new FlatIndex(SearchData.Device, D);
        index.Add(db, ids);
        var reference = ReferenceDb.Build(db, ids, D, VectorStorage.Fp32);
        // A threshold equal to query 0's 300th best score: hundreds of hits (many tied at the threshold,
        // which are excluded because the comparison is strict).
        float threshold = ReferenceKnn.Ranked(reference, q.AsSpan(0, D).ToArray(), metric, null)[300].Score;
        foreach (var cap in new[] { 5, 100, 1000, 5000 }) // fused (≤256) and large-k path; caps below and above the hit counts
        {
            var got = index.RangeSearch(q, threshold, cap, metric);
            var (hits, dropped) = ReferenceKnn.Range(reference, q, threshold, cap, metric);
            for (int i = 0; i < Nq; i++)
            {
                var exp = hits[i];
                int start = (int)got.Offsets[i], count = (int)(got.Offsets[i + 1] - got.Offsets[i]);
                Assert.True(exp.Count == count, $"{metric} cap={cap} query {i}: {count} hits, expected {exp.Count}");
                for (int j = 0; j < count; j++)
                {
                    Assert.Equal(exp[j].Id, got.Ids[start + j]);
                    Assert.Equal(exp[j].Score, got.Scores[start + j]);
                }
                Assert.Equal(dropped[i], got.Dropped[i]);
            }
            if (cap == 5) Assert.Contains(got.Dropped, x => x > 0);
        }
    }

    [Theory]
    [InlineData(Metric.Ip, 17)]
    [InlineData(Metric.L2, 17)]
    [InlineData(Metric.Cosine, 600)]
    public void AllowList_EqualsReference(Enum metricValue, int k)
    {
        var metric = (Metric)metricValue;
        var db = SearchData.ClusteredWithTies(N, D, 41);
        var q = SearchData.Random(Nq, D, 42);
        var ids = SearchData.Ids(N, 43);
        using var index = new FlatIndex(SearchData.Device, D, VectorStorage.Fp16);
        index.Add(db, ids);
        var reference = ReferenceDb.Build(db, ids, D, VectorStorage.Fp16);
        var rng = new Random(44);
        // About half the ids, plus ids that are not in the set and a bitmap ending below the largest id.
        var allowed = ids.Where(_ => rng.Next(2) == 0).Append(999_999).ToArray();
        var filter = IdFilter.FromIds(allowed);
        var got = index.Search(q, k, metric, filter);
        var (eIds, eScores) = ReferenceKnn.Search(reference, q, k, metric, filter.IsAllowed);
        KnnAssert.Exact(eIds, eScores, got.Ids, got.Scores, k, $"filter {metric} k={k}");

        // Fewer allowed ids than k: the rest is padding.
        var few = IdFilter.FromIds(ids.AsSpan(0, 5));
        var g2 = index.Search(q, k, metric, few);
        var (e2, s2) = ReferenceKnn.Search(reference, q, k, metric, few.IsAllowed);
        KnnAssert.Exact(e2, s2, g2.Ids, g2.Scores, k, $"filter-few {metric}");
        Assert.Equal(-1, g2.Ids[5]);

        // Filter and range together.
        var r = index.RangeSearch(q, metric == Metric.L2 ? 2.5f : 0.2f, 50, metric, filter);
        var (hits, dropped) = ReferenceKnn.Range(reference, q, metric == Metric.L2 ? 2.5f : 0.2f, 50, metric, filter.IsAllowed);
        for (int i = 0; i < Nq; i++)
        {
            Assert.Equal(hits[i].Select(h => h.Id), r.Ids[(int)r.Offsets[i]..(int)r.Offsets[i + 1]]);
            Assert.Equal(dropped[i], r.Dropped[i]);
        }
    }
}
