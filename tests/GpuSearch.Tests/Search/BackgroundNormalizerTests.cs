// Background score normalisation against a scalar reference: per query, the mean of its n best inner products
// with the background set, times β, is subtracted from each of its scores.
using GpuSearch.Search;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Search;

public class BackgroundNormalizerTests
{
    private static float[] UnitRows(int rows, int dim, int seed)
    {
        var rng = new Random(seed);
        var v = new float[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double n = 0;
            for (int j = 0; j < dim; j++) { v[r * dim + j] = (float)(rng.NextDouble() * 2 - 1); n += v[r * dim + j] * v[r * dim + j]; }
            for (int j = 0; j < dim; j++) v[r * dim + j] = (float)(v[r * dim + j] / Math.Sqrt(n));
        }
        return v;
    }

    [Fact]
    public void SubtractsBetaTimesTheMeanOfTheTopBackgroundSimilarities()
    {
        const int dim = 24, nb = 70, nq = 5, n = 7, k = 3;
        const float beta = 0.8f;
        var background = UnitRows(nb, dim, 1);
        var queries = UnitRows(nq, dim, 2);
        using var norm = new BackgroundNormalizer(Devices.Cpu, background, dim, n, beta);
        var means = norm.BackgroundMeans(queries);
        var scores = Enumerable.Range(0, nq * k).Select(i => 0.1f * i).ToArray();
        var original = scores.ToArray();
        norm.Apply(queries, scores, k);
        for (int q = 0; q < nq; q++)
        {
            var dots = Enumerable.Range(0, nb).Select(b => Enumerable.Range(0, dim).Sum(j => (double)queries[q * dim + j] * background[b * dim + j]))
                .OrderDescending().Take(n).Average();
            Assert.True(Math.Abs(dots - means[q]) < 1e-5, $"query {q}: mean {means[q]} vs {dots}");
            for (int i = 0; i < k; i++) Assert.True(Math.Abs(original[q * k + i] - beta * dots - scores[q * k + i]) < 1e-5, $"query {q} score {i}");
        }
    }

    [Fact]
    public void RefusesMoreNeighboursThanBackgroundRowsAndRaggedInput()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundNormalizer(Devices.Cpu, UnitRows(3, 4, 1), 4, neighbours: 4));
        Assert.Throws<ArgumentException>(() => new BackgroundNormalizer(Devices.Cpu, new float[7], 4));
    }
}
