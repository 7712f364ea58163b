// Host mirror of the kernels' 64-bit composite sort key (scan_common.h) and of the result order, used
// for range thresholds and for merging shard results on the host with exactly the device's rule.
namespace GpuSearch.Search;

internal static class Composite
{
    /// <summary>Order-preserving float → uint (NaN → -inf, -0 → +0), as <c>order_key</c> in scan_common.h.</summary>
    public static uint OrderKey(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(float.IsNaN(f) ? float.NegativeInfinity : f);
        if (u == 0x80000000u) u = 0;
        return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
    }

    /// <summary>The composite every range hit must exceed: key &gt; threshold (IP, cosine) or distance &lt;
    /// threshold (L2, whose key is -distance).</summary>
    public static ulong RangeThreshold(Metric metric, float threshold)
    {
        if (float.IsNaN(threshold)) throw new ArgumentException("Range threshold is NaN", nameof(threshold));
        float key = metric.IsAscending() ? -threshold : threshold;
        return ((ulong)OrderKey(key) << 32) | 0xFFFFFFFFul;
    }

    /// <summary>True when (scoreA, idA) ranks before (scoreB, idB): better score first, then the lower id.
    /// Scores compare as floats (so -0 equals +0); NaN ranks last.</summary>
    public static bool Before(Metric metric, float scoreA, long idA, float scoreB, long idB)
    {
        if (idA < 0 || idB < 0) return idB < 0 && idA >= 0; // padding last
        uint a = OrderKey(metric.IsAscending() ? -scoreA : scoreA), b = OrderKey(metric.IsAscending() ? -scoreB : scoreB);
        return a != b ? a > b : idA < idB;
    }
}
