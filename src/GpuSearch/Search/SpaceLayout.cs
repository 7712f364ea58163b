// The segment layout of vectors made by several embedding spaces (EmbeddingSpace): which columns belong to which
// named space and with what index-time weight. Stored rows hold √(w_m/Σw)·normalize(e_m) per segment; a query can
// re-weight the spaces exactly by scaling its own segments before the one device scan, because the cosine is a sum
// of per-segment dot products.
using System.Globalization;

namespace GpuSearch.Search;

internal sealed class SpaceLayout
{
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<int> Dimensions { get; }
    public IReadOnlyList<float> Weights { get; }
    public IReadOnlyList<int> Offsets { get; }
    public int Dimension { get; }
    public int Count => Names.Count;

    public SpaceLayout(string[] names, int[] dimensions, float[] weights)
    {
        if (names.Length == 0 || names.Length != dimensions.Length || names.Length != weights.Length)
            throw new ArgumentException("a layout needs one name, dimension and weight per space");
        foreach (var w in weights)
            if (!float.IsFinite(w) || w <= 0) throw new ArgumentOutOfRangeException(nameof(weights), w, "space weights must be finite and > 0");
        var offsets = new int[names.Length];
        int at = 0;
        for (int i = 0; i < names.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions[i], nameof(dimensions));
            offsets[i] = at;
            at = checked(at + dimensions[i]);
        }
        (Names, Dimensions, Weights, Offsets, Dimension) = (names, dimensions, weights, offsets, at);
    }

    /// <summary>√(w_m / Σw) per space: the factor of segment m in a stored row.</summary>
    public float[] StoredScales()
    {
        double total = Weights.Sum(w => (double)w);
        return Weights.Select(w => (float)Math.Sqrt(w / total)).ToArray();
    }

    /// <summary>Writes rows of space <paramref name="space"/> (count × its dimension), times <paramref name="scale"/>, into its columns of <paramref name="output"/>.</summary>
    public void Scatter(ReadOnlySpan<float> segmentRows, int space, float scale, Span<float> output)
    {
        int d = Dimensions[space], off = Offsets[space], rows = segmentRows.Length / d;
        if (segmentRows.Length != rows * d || output.Length != rows * Dimension) throw new ArgumentException("segment rows and output disagree on the row count");
        for (int r = 0; r < rows; r++)
        {
            var src = segmentRows.Slice(r * d, d);
            var dst = output.Slice(r * Dimension + off, d);
            for (int i = 0; i < d; i++) dst[i] = src[i] * scale;
        }
    }

    /// <summary>
    /// Factors that turn a stored-layout query into one whose score against stored rows is Σ u_m·cos_m / Σu for the
    /// query-time weights u (spaces not named get 0): f_m = (u_m/Σu) / (w_m/Σw).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown space, a negative or non-finite weight, or all weights 0.</exception>
    public float[] QueryFactors(IReadOnlyDictionary<string, float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (name, w) in weights)
        {
            if (!Names.Contains(name)) throw new ArgumentException($"the index has no embedding space '{name}'; its spaces: {Describe()}", nameof(weights));
            if (!float.IsFinite(w) || w < 0) throw new ArgumentException($"space '{name}': weight must be finite and >= 0, got {w.ToString(CultureInfo.InvariantCulture)}", nameof(weights));
        }
        double u = weights.Values.Sum(w => (double)w), total = Weights.Sum(w => (double)w);
        if (u <= 0) throw new ArgumentException("at least one space weight must be > 0", nameof(weights));
        return Names.Select((n, m) => weights.TryGetValue(n, out var w) ? (float)(w / u / (Weights[m] / total)) : 0f).ToArray();
    }

    /// <summary>Scales each query row's segments in place by <paramref name="factors"/> (from <see cref="QueryFactors"/>).</summary>
    public void ApplyQueryFactors(Span<float> rows, ReadOnlySpan<float> factors)
    {
        for (int r = 0; r < rows.Length / Dimension; r++)
            for (int m = 0; m < Count; m++)
            {
                var seg = rows.Slice(r * Dimension + Offsets[m], Dimensions[m]);
                for (int i = 0; i < seg.Length; i++) seg[i] *= factors[m];
            }
    }

    /// <summary>e.g. <c>resnet18[0..512) w=1, nsfw[512..1792) w=0.5</c>.</summary>
    public string Describe() => string.Join(", ", Names.Select((n, m) =>
        $"{n}[{Offsets[m]}..{Offsets[m] + Dimensions[m]}) w={Weights[m].ToString(CultureInfo.InvariantCulture)}"));
}
