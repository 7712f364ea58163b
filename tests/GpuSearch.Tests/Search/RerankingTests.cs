// α-query-expansion and database-side augmentation against a scalar reference that ranks by brute-force dot
// products and applies normalise(x + Σ max(s, 0)^α x_i) directly.
using GpuSearch.Search;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Search;

public class RerankingTests
{
    private const int Dim = 12, Rows = 40;

    private static float[] UnitRows(int rows, int seed)
    {
        var rng = new Random(seed);
        var v = new float[rows * Dim];
        for (int r = 0; r < rows; r++)
        {
            double n = 0;
            for (int j = 0; j < Dim; j++) { v[r * Dim + j] = (float)(rng.NextDouble() * 2 - 1) + (r % 4 == 0 ? 1f : 0f); n += v[r * Dim + j] * v[r * Dim + j]; }
            for (int j = 0; j < Dim; j++) v[r * Dim + j] = (float)(v[r * Dim + j] / Math.Sqrt(n));
        }
        return v;
    }

    private static double Dot(float[] a, int ra, float[] b, int rb) => Enumerable.Range(0, Dim).Sum(j => (double)a[ra * Dim + j] * b[rb * Dim + j]);

    private static double[] Reference(float[] x, int row, float[] db, IEnumerable<int> neighbours, float alpha)
    {
        var sum = Enumerable.Range(0, Dim).Select(j => (double)x[row * Dim + j]).ToArray();
        foreach (var i in neighbours)
        {
            double w = Math.Pow(Math.Max(Dot(x, row, db, i), 0), alpha);
            for (int j = 0; j < Dim; j++) sum[j] += w * db[i * Dim + j];
        }
        double norm = Math.Sqrt(sum.Sum(v => v * v));
        return sum.Select(v => v / norm).ToArray();
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(3, 3f)]
    public void QueryExpansionMatchesTheScalarReference(int n, float alpha)
    {
        var db = UnitRows(Rows, 1);
        var queries = UnitRows(6, 2);
        var ids = Enumerable.Range(0, Rows).Select(i => (long)i).ToArray();
        using var index = new FlatIndex(Devices.Cpu, Dim);
        index.Add(db, ids);
        var got = Reranking.ExpandQueries(index, queries, n, alpha, id => db.AsSpan((int)id * Dim, Dim).ToArray());
        for (int q = 0; q < 6; q++)
        {
            var top = Enumerable.Range(0, Rows).OrderByDescending(i => Dot(queries, q, db, i)).Take(n);
            var want = Reference(queries, q, db, top, alpha);
            for (int j = 0; j < Dim; j++) Assert.True(Math.Abs(want[j] - got[q * Dim + j]) < 1e-5, $"query {q} dim {j}: {got[q * Dim + j]} vs {want[j]}");
        }
    }

    [Fact]
    public void DatabaseAugmentationSkipsTheItemItselfAndMatchesTheScalarReference()
    {
        var db = UnitRows(Rows, 3);
        var ids = Enumerable.Range(0, Rows).Select(i => 100L + i).ToArray();
        using var index = new FlatIndex(Devices.Cpu, Dim);
        index.Add(db, ids);
        var got = Reranking.AugmentDatabase(index, db, ids, 2, 3f);
        for (int r = 0; r < Rows; r++)
        {
            var top = Enumerable.Range(0, Rows).Where(i => i != r).OrderByDescending(i => Dot(db, r, db, i)).Take(2);
            var want = Reference(db, r, db, top, 3f);
            for (int j = 0; j < Dim; j++) Assert.True(Math.Abs(want[j] - got[r * Dim + j]) < 1e-5, $"row {r} dim {j}: {got[r * Dim + j]} vs {want[j]}");
        }
    }
}
