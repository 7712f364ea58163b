// Assertions for k-NN results: exact (ids and scores identical) where the computation order is the
// reference's, and FAISS-style (ids may be permuted only among equal scores) where it is not.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

internal static class KnnAssert
{
    /// <summary>Ids identical and scores equal (== : +0 equals -0, inf equals inf), reporting the first difference.</summary>
    public static void Exact(long[] expIds, float[] expScores, long[] ids, float[] scores, int k, string what)
    {
        Assert.Equal(expIds.Length, ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            if (expIds[i] != ids[i] || !(expScores[i] == scores[i] || (float.IsNaN(expScores[i]) && float.IsNaN(scores[i]))))
                Assert.Fail($"{what}: query {i / k} rank {i % k}: expected id {expIds[i]} score {expScores[i]:R}, got id {ids[i]} score {scores[i]:R}");
        }
    }

    public static void Exact(SearchResult expected, SearchResult actual, string what) =>
        Exact(expected.Ids, expected.Scores, actual.Ids, actual.Scores, actual.K, what);

    /// <summary>FAISS-style: per query, scores agree within <paramref name="tol"/> (relative to the largest
    /// |score|), and the id sets agree except for permutations among scores within tol of each other,
    /// including at the k-th boundary.</summary>
    public static void Permuted(long[] expIds, float[] expScores, long[] ids, float[] scores, int nq, int k, float tol, string what)
    {
        for (int q = 0; q < nq; q++)
        {
            var es = expScores.AsSpan(q * k, k);
            var s = scores.AsSpan(q * k, k);
            float scale = 1e-30f;
            foreach (var v in es) if (float.IsFinite(v)) scale = MathF.Max(scale, MathF.Abs(v));
            float eps = tol * scale;
            for (int j = 0; j < k; j++)
                if (!(MathF.Abs(es[j] - s[j]) <= eps || es[j] == s[j]))
                    Assert.Fail($"{what}: query {q} rank {j}: score {s[j]:R} vs expected {es[j]:R} (tol {eps:G3})");
            // Ids whose score is clearly inside the list (not tied with the k-th) must appear in both.
            float kth = es[k - 1];
            var got = new HashSet<long>(ids.AsSpan(q * k, k).ToArray());
            var exp = new HashSet<long>(expIds.AsSpan(q * k, k).ToArray());
            for (int j = 0; j < k; j++)
            {
                bool tiedWithBoundary = MathF.Abs(es[j] - kth) <= eps;
                if (!tiedWithBoundary && !got.Contains(expIds[q * k + j]))
                    Assert.Fail($"{what}: query {q}: expected id {expIds[q * k + j]} (score {es[j]:R}) is missing");
            }
            // Every position holds an id whose expected score (where known) matches that position's score.
            for (int j = 0; j < k; j++)
            {
                int at = Array.IndexOf(expIds, ids[q * k + j], q * k, k);
                if (at >= 0 && MathF.Abs(expScores[at] - s[j]) > eps)
                    Assert.Fail($"{what}: query {q} rank {j}: id {ids[q * k + j]} has expected score {expScores[at]:R} but sits at {s[j]:R}");
                if (at < 0 && MathF.Abs(s[j] - kth) > eps)
                    Assert.Fail($"{what}: query {q} rank {j}: id {ids[q * k + j]} not expected and not tied with the k-th score");
            }
            _ = exp;
        }
    }
}
