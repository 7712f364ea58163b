// Fixed-seed test data for the search tests: random vectors, integer-valued clustered vectors with
// many exact duplicates (so exact score ties are common), and shuffled sparse external ids (so "lower
// id" differs from "earlier row").
using GpuSearch.Compute;

namespace GpuSearch.Tests.Search;

internal static class SearchData
{
    public static float[] Random(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n * d];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>Integer-valued vectors around a few centers; about a third of the rows duplicate another row.</summary>
    public static float[] ClusteredWithTies(int n, int d, int seed)
    {
        var rng = new Random(seed);
        int centers = 5;
        var c = new int[centers * d];
        for (int i = 0; i < c.Length; i++) c[i] = rng.Next(-3, 4);
        var v = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            if (i > 0 && rng.Next(3) == 0)
            {
                Array.Copy(v, rng.Next(i) * d, v, i * d, d);
                continue;
            }
            int k = rng.Next(centers);
            for (int j = 0; j < d; j++) v[i * d + j] = c[k * d + j] + rng.Next(-1, 2);
        }
        return v;
    }

    /// <summary>Unique, shuffled, non-contiguous ids.</summary>
    public static long[] Ids(int n, int seed)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, n).Select(i => (long)i * 7 + 3).ToArray();
        rng.Shuffle(ids);
        return ids;
    }

    private static ComputeDevice? _device;
    private static readonly object Lock = new();

    /// <summary>The PoCL CPU device shared by the search tests (a missing OpenCL device fails, never skips).</summary>
    public static ComputeDevice Device
    {
        get { lock (Lock) return _device ??= DeviceRegistry.Default.Open("cpu"); }
    }
}
