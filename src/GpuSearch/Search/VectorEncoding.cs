// Host-side encoding of vectors into storage types and the per-row factors the scan kernel uses.
// The arithmetic here is the definition the device results are checked against: sums are one fp32
// fused-multiply-add chain in dimension order, and 1/sqrt uses correctly rounded IEEE operations.
namespace GpuSearch.Search;

/// <summary>Conversions between fp32 input and stored vectors, and the exact norm definitions.</summary>
internal static class VectorEncoding
{
    /// <summary>Quantizes one vector to int8 with a symmetric scale (max|x| / 127); returns the scale
    /// (0 for an all-zero vector). Values are <c>round(x / scale)</c> (to even), clamped to ±127.</summary>
    public static float QuantizeInt8(ReadOnlySpan<float> x, Span<sbyte> dst)
    {
        if (dst.Length < x.Length) throw new ArgumentException("Destination shorter than the vector", nameof(dst));
        float maxAbs = 0;
        foreach (var v in x)
        {
            if (!float.IsFinite(v)) throw new ArgumentException("int8 storage needs finite values (found NaN or infinity)", nameof(x));
            maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
        }
        if (maxAbs == 0) { dst[..x.Length].Clear(); return 0f; }
        float scale = maxAbs / 127f;
        for (int i = 0; i < x.Length; i++)
            dst[i] = (sbyte)Math.Clamp(MathF.Round(x[i] / scale, MidpointRounding.ToEven), -127f, 127f);
        return scale;
    }

    /// <summary>Sum of squares as one fp32 fma chain in order (the kernel's and reference's definition).</summary>
    public static float SquaredNorm(ReadOnlySpan<float> v)
    {
        float acc = 0f;
        for (int i = 0; i < v.Length; i++) acc = MathF.FusedMultiplyAdd(v[i], v[i], acc);
        return acc;
    }

    /// <summary>1/sqrt(n) with correctly rounded operations, 0 for n = 0 (zero vectors score 0 under cosine).</summary>
    public static float InverseNorm(float squaredNorm) => squaredNorm > 0 ? 1f / MathF.Sqrt(squaredNorm) : 0f;

    /// <summary>Per-row factors for stored values <paramref name="stored"/> (already dequantized to float, before
    /// the scale) and scale <paramref name="scale"/> (1 for fp32/fp16): (scale, 1/|stored|, |stored·scale|²).</summary>
    public static (float Scale, float InvNorm, float SquaredNorm) RowFactors(ReadOnlySpan<float> stored, float scale)
    {
        float n = SquaredNorm(stored);
        return (scale, InverseNorm(n), n * scale * scale);
    }
}
