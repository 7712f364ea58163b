// Retrieval metrics against hand-computed cases (the arithmetic is written out in each test).
using GpuSearch.Evaluation;

namespace GpuSearch.Tests.Evaluation;

public sealed class RetrievalMetricsTests
{
    private static HashSet<string> Set(params string[] s) => [.. s];

    [Fact]
    public void AveragePrecisionByHand()
    {
        // relevant {a, c, x}; ranked a b c d: hits at ranks 1 and 3 → (1/1 + 2/3) / 3 = 0.5555…
        Assert.Equal((1.0 + 2.0 / 3) / 3, RetrievalMetrics.AveragePrecision(["a", "b", "c", "d"], Set("a", "c", "x")), 12);
        // perfect list
        Assert.Equal(1.0, RetrievalMetrics.AveragePrecision(["a", "c"], Set("a", "c")), 12);
        // relevant found only at rank 4: 1/4
        Assert.Equal(0.25, RetrievalMetrics.AveragePrecision(["p", "q", "r", "a"], Set("a")), 12);
        // a duplicate retrieval of the same relevant item counts once: ranks 1 (a) and 3 (c) → (1 + 2/3)/2
        Assert.Equal((1.0 + 2.0 / 3) / 2, RetrievalMetrics.AveragePrecision(["a", "a", "c"], Set("a", "c")), 12);
        Assert.Equal(0.0, RetrievalMetrics.AveragePrecision(["a"], Set()));
    }

    [Fact]
    public void RecallAtKByHand()
    {
        string[] ranked = ["x", "a", "y", "b", "z"];
        var rel = Set("a", "b", "c", "d");
        Assert.Equal(0.0, RetrievalMetrics.RecallAt(ranked, rel, 1));
        Assert.Equal(0.25, RetrievalMetrics.RecallAt(ranked, rel, 2));
        Assert.Equal(0.5, RetrievalMetrics.RecallAt(ranked, rel, 5));
        Assert.Equal(0.5, RetrievalMetrics.RecallAt(ranked, rel, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalMetrics.RecallAt(ranked, rel, 0));
    }

    [Fact]
    public void MicroAveragePrecisionFollowsTheIsc2021Definition()
    {
        // Ground truth: q1↔r1, q2↔r2 (two positives); q3 has no match (a distractor query).
        // Pooled predictions sorted by score:
        //   0.9 q1 r1 ✓  → tp 1, p 1/1, recall 1/2, Δr 1/2 → +0.5
        //   0.8 q3 r7 ✗  → tp 1, p 1/2, recall 1/2, Δr 0
        //   0.7 q2 r9 ✗  → tp 1, p 1/3, Δr 0
        //   0.6 q2 r2 ✓  → tp 2, p 2/4, recall 1, Δr 1/2 → +0.25
        //   0.1 q1 r5 ✗  → Δr 0
        // μAP = 0.75
        var results = new[]
        {
            new QueryResult("q1", [("r1", 0.9), ("r5", 0.1)], Set("r1")),
            new QueryResult("q2", [("r9", 0.7), ("r2", 0.6)], Set("r2")),
            new QueryResult("q3", [("r7", 0.8)], Set()),
        };
        Assert.Equal(0.75, RetrievalMetrics.MicroAveragePrecision(results), 12);
    }

    [Fact]
    public void MicroAveragePrecisionTreatsTiesAsOneThreshold()
    {
        // A correct and a wrong prediction tie at 0.5: precision after the tie group is 1/2, recall 1 → μAP 0.5,
        // whichever order the two come in.
        var a = new[] { new QueryResult("q1", [("r1", 0.5)], Set("r1")), new QueryResult("q2", [("rx", 0.5)], Set()) };
        var b = new[] { a[1], a[0] };
        Assert.Equal(0.5, RetrievalMetrics.MicroAveragePrecision(a), 12);
        Assert.Equal(0.5, RetrievalMetrics.MicroAveragePrecision(b), 12);
    }

    [Fact]
    public void MicroAveragePrecisionCountsUnretrievedTruthAgainstRecall()
    {
        // Two positives, only one ever predicted (rank 1, correct): μAP = 1 · 1/2.
        var results = new[]
        {
            new QueryResult("q1", [("r1", 0.9)], Set("r1")),
            new QueryResult("q2", [], Set("r2")),
        };
        Assert.Equal(0.5, RetrievalMetrics.MicroAveragePrecision(results), 12);
    }

    [Fact]
    public void EvaluateAveragesOverQueriesWithTruth()
    {
        var results = new[]
        {
            new QueryResult("q1", [("a", 0.9), ("b", 0.8)], Set("a")),        // AP 1, hit@1
            new QueryResult("q2", [("c", 0.9), ("d", 0.8)], Set("d")),        // AP 1/2, hit@2 not @1
            new QueryResult("q3", [("e", 0.9)], Set()),                       // no truth: excluded from mAP/recall
        };
        var r = RetrievalMetrics.Evaluate(results, [1, 2, 20]);
        Assert.Equal(3, r.Queries);
        Assert.Equal(2, r.QueriesWithTruth);
        Assert.Equal(0.75, r.MeanAveragePrecision, 12);
        Assert.Equal(0.5, r.RecallAt[1], 12);
        Assert.Equal(1.0, r.RecallAt[2], 12);
        Assert.Equal(1.0, r.HitRateAt[20], 12);
        // μAP: the tie group at 0.9 holds a✓ c✗ e✗ → precision 1/3, recall 1/2 → +1/6;
        // the group at 0.8 holds b✗ d✓ → precision 2/5, recall 1 → +2/5 · 1/2 = 1/5. Total 1/6 + 1/5.
        Assert.Equal(1.0 / 6 + 1.0 / 5, r.MicroAveragePrecision, 12);
    }
}
