// Collapsing of strided index spaces to the ≤6 dimensions the broadcast and layout kernels take.
namespace GpuSearch.Models.Ops;

/// <summary>Dims plus one stride array per operand; merges dims that are contiguous for every operand.</summary>
internal static class StridedIndex
{
    /// <summary>Maximum dimensions the kernels index.</summary>
    public const int MaxDims = 6;

    /// <summary>Row-major element strides of a shape.</summary>
    public static long[] Contiguous(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>
    /// Drops size-1 dims and merges neighbours (d, d+1) where every operand has stride[d] = stride[d+1]·dim[d+1];
    /// returns exactly <see cref="MaxDims"/> dims (leading 1s) and strides. Throws if more remain.
    /// </summary>
    public static (int[] Dims, long[][] Strides) Collapse(ReadOnlySpan<int> dims, params long[][] strides)
    {
        var d = new List<int>();
        var s = strides.Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 1) continue;
            if (d.Count > 0)
            {
                var last = d.Count - 1;
                bool merge = true;
                for (int o = 0; o < strides.Length; o++)
                    if (s[o][last] != strides[o][i] * dims[i]) { merge = false; break; }
                if (merge)
                {
                    d[last] *= dims[i];
                    for (int o = 0; o < strides.Length; o++) s[o][last] = strides[o][i];
                    continue;
                }
            }
            d.Add(dims[i]);
            for (int o = 0; o < strides.Length; o++) s[o].Add(strides[o][i]);
        }
        if (d.Count > MaxDims)
            throw new NotSupportedException($"Index space needs {d.Count} dimensions after collapsing; kernels take at most {MaxDims}");
        var pad = MaxDims - d.Count;
        var outDims = Enumerable.Repeat(1, pad).Concat(d).ToArray();
        var outStrides = s.Select(l => Enumerable.Repeat(0L, pad).Concat(l).ToArray()).ToArray();
        return (outDims, outStrides);
    }
}
