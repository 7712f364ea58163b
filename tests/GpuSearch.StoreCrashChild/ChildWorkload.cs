// The deterministic workload shared by the crash child and the test that checks its results:
// item i has a fixed path, and its vector and content hash are pure functions of that path.
using System.Security.Cryptography;
using System.Text;
using GpuSearch.Store;

namespace GpuSearch.StoreCrashChild;

/// <summary>Deterministic items for the crash test.</summary>
internal static class ChildWorkload
{
    /// <summary>Vector width used by the crash test index.</summary>
    public const int Dim = 24;

    /// <summary>Path of item <paramref name="i"/>.</summary>
    public static string PathOf(int i) => $"photos/{i / 100:D3}/img-{i:D5}.jpg";

    /// <summary>In churn mode, items the child deletes right after adding them (every fifth).</summary>
    public static bool IsChurned(int i) => i % 5 == 0;

    /// <summary>Content hash of an item: SHA-256 of its path (stands in for the image bytes).</summary>
    public static string HashOf(string path) => ContentHash.Of(Encoding.UTF8.GetBytes(path));

    /// <summary>The vector the child stores for <paramref name="path"/>: seeded by the path's hash, so any process recomputes it.</summary>
    public static float[] VectorOf(string path)
    {
        var seed = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(path)), 0);
        var rng = new Random(seed);
        var v = new float[Dim];
        for (int j = 0; j < Dim; j++) v[j] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>The metadata the test creates the index with (tiny segments so seals happen often).</summary>
    public static IndexMetadata Metadata => new(
        new ModelFingerprint(new string('a', 64), """{"resize":256,"crop":224}""", "embedding", "float32", Dim),
        NpyDType.Float32, SegmentCapacityRows: 8);
}
