// Retrieval quality metrics for `gpusearch eval`: mAP over ranked lists (DeepPatent style),
// micro-AP over pooled predictions (ISC 2021 definition), recall@k and top-k hit rate (JPO style).
namespace GpuSearch.Evaluation;

/// <summary>One query's ranked results (best first) and the set of items relevant to it.</summary>
/// <param name="Query">Query key (e.g. its file name).</param>
/// <param name="Ranked">Retrieved items, best first, with their similarity (higher = more similar).</param>
/// <param name="Relevant">Items relevant to the query; empty for a query with no match in the database.</param>
internal sealed record QueryResult(string Query, IReadOnlyList<(string Item, double Score)> Ranked, IReadOnlySet<string> Relevant);

/// <summary>The metrics of one evaluation run.</summary>
/// <param name="Queries">Queries evaluated.</param>
/// <param name="QueriesWithTruth">Queries that have at least one relevant item.</param>
/// <param name="MeanAveragePrecision">mAP over queries with truth (see <see cref="RetrievalMetrics.AveragePrecision"/>).</param>
/// <param name="MicroAveragePrecision">ISC 2021 μAP over all predictions of all queries.</param>
/// <param name="RecallAt">Recall@k for each k asked for.</param>
/// <param name="HitRateAt">Share of queries with truth whose relevant item appears in the top k, for each k asked for.</param>
internal sealed record RetrievalReport(int Queries, int QueriesWithTruth, double MeanAveragePrecision, double MicroAveragePrecision,
    IReadOnlyDictionary<int, double> RecallAt, IReadOnlyDictionary<int, double> HitRateAt);

/// <summary>Retrieval metrics. All are in [0, 1]; definitions are in each method's docs.</summary>
internal static class RetrievalMetrics
{
    /// <summary>
    /// Average precision of one ranked list: Σ over ranks i holding a relevant item of precision@i,
    /// divided by the number of relevant items (relevant items never retrieved count as zero, so a
    /// truncated list is penalised). A relevant item retrieved twice counts once. 0 when nothing is relevant.
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        if (relevant.Count == 0) return 0;
        var seen = new HashSet<string>();
        int hits = 0;
        double sum = 0;
        for (int i = 0; i < ranked.Count; i++)
        {
            if (!relevant.Contains(ranked[i]) || !seen.Add(ranked[i])) continue;
            hits++;
            sum += (double)hits / (i + 1);
        }
        return sum / relevant.Count;
    }

    /// <summary>Recall@k of one list: relevant items in the top k over all relevant items (0 when none are relevant).</summary>
    public static double RecallAt(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (relevant.Count == 0) return 0;
        return (double)ranked.Take(k).Where(relevant.Contains).Distinct().Count() / relevant.Count;
    }

    /// <summary>
    /// Micro-average precision as defined for the ISC 2021 challenge: every (query, item, score)
    /// prediction of every query is pooled and sorted by decreasing score; μAP = Σ p(i)·Δr(i), where p(i)
    /// is the precision of the first i predictions and Δr(i) the gain in recall, recall being counted over
    /// all ground-truth (query, item) pairs. Predictions for queries with no truth are false positives.
    /// Predictions with equal scores form one threshold (precision taken after the whole tie group),
    /// so the result does not depend on the order of ties.
    /// </summary>
    public static double MicroAveragePrecision(IEnumerable<QueryResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var preds = new List<(double Score, bool Correct)>();
        long positives = 0;
        foreach (var r in results)
        {
            positives += r.Relevant.Count;
            var seen = new HashSet<string>();
            foreach (var (item, score) in r.Ranked)
                if (seen.Add(item)) preds.Add((score, r.Relevant.Contains(item)));
        }
        if (positives == 0) return 0;
        preds.Sort((a, b) => b.Score.CompareTo(a.Score));
        double ap = 0, prevRecall = 0;
        long tp = 0;
        for (int i = 0; i < preds.Count;)
        {
            int j = i;
            while (j < preds.Count && preds[j].Score.Equals(preds[i].Score)) { if (preds[j].Correct) tp++; j++; }
            var recall = (double)tp / positives;
            ap += (double)tp / j * (recall - prevRecall);
            prevRecall = recall;
            i = j;
        }
        return ap;
    }

    /// <summary>Evaluates a set of queries: mAP and recall/hit rate over queries that have truth, μAP over all.</summary>
    public static RetrievalReport Evaluate(IReadOnlyList<QueryResult> results, IReadOnlyList<int> ks)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(ks);
        var withTruth = results.Where(r => r.Relevant.Count > 0).ToArray();
        double Mean(Func<QueryResult, double> f) => withTruth.Length == 0 ? 0 : withTruth.Average(f);
        IReadOnlyList<string> Items(QueryResult r) => r.Ranked.Select(x => x.Item).ToArray();
        return new RetrievalReport(
            results.Count, withTruth.Length,
            Mean(r => AveragePrecision(Items(r), r.Relevant)),
            MicroAveragePrecision(results),
            ks.Distinct().Order().ToDictionary(k => k, k => Mean(r => RecallAt(Items(r), r.Relevant, k))),
            ks.Distinct().Order().ToDictionary(k => k, k => Mean(r => RecallAt(Items(r), r.Relevant, k) > 0 ? 1 : 0)));
    }
}
