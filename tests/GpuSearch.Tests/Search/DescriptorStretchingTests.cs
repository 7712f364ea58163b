// Descriptor stretching against two references: a scalar one in double here, and numpy run at test time (skipped
// when /usr/bin/python3 has no numpy). Per query the scale is factor × sqrt(max(0, 2 − 2·s_n)), s_n its n-th highest
// cosine to the background; each query's scores are multiplied by it, so one query's order never changes.
using System.Diagnostics;
using System.Globalization;
using GpuSearch.Search;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Search;

public class DescriptorStretchingTests
{
    private const int Dim = 24, Nb = 70, Nq = 6, N = 5;
    private const float Factor = 1.7f;

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

    private static double ScalarScale(float[] queries, float[] background, int q, int n, double factor)
    {
        var nth = Enumerable.Range(0, Nb).Select(b => Enumerable.Range(0, Dim).Sum(j => (double)queries[q * Dim + j] * background[b * Dim + j]))
            .OrderDescending().ElementAt(n - 1);
        return factor * Math.Sqrt(Math.Max(0, 2 - 2 * nth));
    }

    [Fact]
    public void Scales_each_querys_scores_by_factor_times_its_nth_background_distance()
    {
        var background = UnitRows(Nb, Dim, 1);
        var queries = UnitRows(Nq, Dim, 2);
        using var bg = new BackgroundNormalizer(Devices.Cpu, background, Dim);
        var scales = DescriptorStretching.Scales(bg, queries, N, Factor);
        const int k = 4;
        var scores = Enumerable.Range(0, Nq * k).Select(i => 0.9f - 0.05f * i).ToArray(); // descending within each query
        var original = scores.ToArray();
        DescriptorStretching.Apply(scales, scores, k);
        for (int q = 0; q < Nq; q++)
        {
            double expected = ScalarScale(queries, background, q, N, Factor);
            Assert.True(Math.Abs(expected - scales[q]) < 1e-5, $"query {q}: scale {scales[q]} vs {expected}");
            Assert.True(scales[q] > 0, $"query {q}: a non-positive scale {scales[q]} would reorder its hits");
            for (int i = 0; i < k; i++) Assert.True(Math.Abs(original[q * k + i] * expected - scores[q * k + i]) < 1e-5, $"query {q} score {i}");
            for (int i = 1; i < k; i++) Assert.True(scores[q * k + i - 1] > scores[q * k + i], $"query {q}: order changed at {i}");
        }
        // Distinct queries get distinct scales: the point is to rescale queries against each other.
        Assert.True(scales.Distinct().Count() > 1);
    }

    [Fact]
    public void Clamps_a_cosine_above_one_to_distance_zero_and_refuses_bad_parameters()
    {
        Assert.Equal(0f, DescriptorStretching.Scale(1.0000001f, 2f));
        Assert.Equal(2f * MathF.Sqrt(2f), DescriptorStretching.Scale(0f, 2f), 1e-6f);
        using var bg = new BackgroundNormalizer(Devices.Cpu, UnitRows(3, 4, 1), 4, neighbours: 1);
        var q = UnitRows(1, 4, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => DescriptorStretching.Scales(bg, q, 4, 1f)); // more than the 3 rows
        Assert.Throws<ArgumentOutOfRangeException>(() => DescriptorStretching.Scales(bg, q, 0, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => DescriptorStretching.Scales(bg, q, 1, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => DescriptorStretching.Scales(bg, q, 1, float.NaN));
        Assert.Throws<ArgumentException>(() => DescriptorStretching.Apply([1f, 1f], new float[5], 2));
    }

    [NumpyFact]
    public void Matches_numpy()
    {
        var background = UnitRows(Nb, Dim, 3);
        var queries = UnitRows(Nq, Dim, 4);
        using var dir = new TempDir();
        string Write(string name, float[] v)
        {
            var p = Path.Combine(dir.Path, name);
            File.WriteAllBytes(p, System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray());
            return p;
        }
        var script = $"""
            import numpy as np
            b = np.fromfile(r'{Write("b.f32", background)}', dtype='<f4').reshape(-1, {Dim}).astype(np.float64)
            q = np.fromfile(r'{Write("q.f32", queries)}', dtype='<f4').reshape(-1, {Dim}).astype(np.float64)
            s = -np.sort(-(q @ b.T), axis=1)[:, {N - 1}]
            for v in {Factor.ToString("R", CultureInfo.InvariantCulture)} * np.sqrt(np.maximum(0, 2 - 2 * s)): print(repr(float(v)))
            """;
        var expected = NumpyFactAttribute.Run(script).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        using var bg = new BackgroundNormalizer(Devices.Cpu, background, Dim);
        var scales = DescriptorStretching.Scales(bg, queries, N, Factor);
        Assert.Equal(Nq, expected.Length);
        for (int q = 0; q < Nq; q++) Assert.True(Math.Abs(expected[q] - scales[q]) < 1e-5, $"query {q}: {scales[q]} vs numpy {expected[q]}");
    }
}

/// <summary>A fact skipped unless /usr/bin/python3 can import numpy.</summary>
internal sealed class NumpyFactAttribute : FactAttribute
{
    private const string Python = "/usr/bin/python3";

    public NumpyFactAttribute()
    {
        if (!File.Exists(Python)) { Skip = $"{Python} is absent"; return; }
        try { Run("import numpy"); }
        catch (InvalidOperationException e) { Skip = $"{Python} cannot import numpy: {e.Message}"; }
    }

    /// <summary>Runs <paramref name="script"/> with python3; its stdout, or an exception with its stderr.</summary>
    public static string Run(string script)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"python exited {p.ExitCode}: {err.Result.Trim()}");
        return output;
    }
}
