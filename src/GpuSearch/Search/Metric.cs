// Similarity metrics and storage types of exact search, with the conventions every layer shares.
namespace GpuSearch.Search;

/// <summary>How a query and a database vector are compared.</summary>
internal enum Metric
{
    /// <summary>Inner product; larger is better, results descending.</summary>
    Ip = 0,
    /// <summary>Cosine similarity (inner product of the normalized vectors); larger is better, results descending.
    /// A zero vector has similarity 0 to everything.</summary>
    Cosine = 1,
    /// <summary>Squared Euclidean distance; smaller is better, results ascending (reported squared, as FAISS does).</summary>
    L2 = 2,
}

/// <summary>How database vectors are stored on the device.</summary>
internal enum VectorStorage
{
    /// <summary>32-bit float.</summary>
    Fp32 = 0,
    /// <summary>IEEE half precision (round-to-nearest-even from fp32); arithmetic stays fp32.</summary>
    Fp16 = 1,
    /// <summary>Signed 8-bit with one fp32 scale per vector (symmetric: scale = max|x| / 127).</summary>
    Int8 = 2,
}

/// <summary>Parsing and properties of <see cref="Metric"/> and <see cref="VectorStorage"/>.</summary>
internal static class MetricExtensions
{
    /// <summary>True when a smaller score is better (L2).</summary>
    public static bool IsAscending(this Metric metric) => metric == Metric.L2;

    /// <summary>Bytes per stored element.</summary>
    public static int ElementBytes(this VectorStorage storage) => storage switch
    {
        VectorStorage.Fp32 => 4,
        VectorStorage.Fp16 => 2,
        VectorStorage.Int8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(storage), storage, "Unknown storage type"),
    };

    /// <summary>Parses <c>ip</c>, <c>cos</c>/<c>cosine</c>, <c>l2</c> (case-insensitive).</summary>
    public static Metric ParseMetric(string text) => text.Trim().ToLowerInvariant() switch
    {
        "ip" or "inner" or "dot" => Metric.Ip,
        "cos" or "cosine" => Metric.Cosine,
        "l2" => Metric.L2,
        _ => throw new ArgumentException($"Unknown metric '{text}': expected ip, cos or l2", nameof(text)),
    };

    /// <summary>Parses <c>fp32</c>, <c>fp16</c>, <c>int8</c> (case-insensitive).</summary>
    public static VectorStorage ParseStorage(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "f32" or "float32" => VectorStorage.Fp32,
        "fp16" or "f16" or "float16" or "half" => VectorStorage.Fp16,
        "int8" or "i8" => VectorStorage.Int8,
        _ => throw new ArgumentException($"Unknown dtype '{text}': expected fp32, fp16 or int8", nameof(text)),
    };
}
