// fp16 storage widens every finite half exactly on the device (the kernel converts bits itself on
// CPU devices instead of calling vload_half): with unit-vector queries the inner product returns each
// stored value, which must equal .NET's (float)(Half) conversion for all 63,488 finite halves.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class Fp16StorageTests
{
    [Fact]
    public void EveryFiniteHalf_WidensExactly()
    {
        const int d = 16;
        var values = new List<float>();
        for (int bits = 0; bits < 0x10000; bits++)
        {
            var h = BitConverter.UInt16BitsToHalf((ushort)bits);
            if (Half.IsFinite(h)) values.Add((float)h);
        }
        int n = values.Count / d;
        var db = values.Take(n * d).ToArray();
        using var index = new FlatIndex(SearchData.Device, d, VectorStorage.Fp16);
        index.Add(db, Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        var queries = new float[d * d];
        for (int j = 0; j < d; j++) queries[j * d + j] = 1f;
        var r = index.Search(queries, n, Metric.Ip);
        for (int j = 0; j < d; j++)
        {
            var ids = r.IdsOf(j);
            var scores = r.ScoresOf(j);
            for (int i = 0; i < n; i++)
            {
                float expected = db[ids[i] * d + j];
                if (!(scores[i] == expected))
                    Assert.Fail($"dim {j}: row {ids[i]} stored {expected:R} (bits {BitConverter.HalfToUInt16Bits((Half)expected):X4}) but scored {scores[i]:R}");
            }
        }
    }
}
