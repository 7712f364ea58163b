// Vector set behaviour: append in batches, remove by id (tombstones), compaction, re-adding a removed
// id, argument errors, zero vectors, and an empty set.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class VectorSetTests
{
    private const int D = 13;

    [Theory]
    [InlineData(VectorStorage.Fp32)]
    [InlineData(VectorStorage.Int8)]
    public void RemoveCompactReAdd_EqualReference(Enum storageValue)
    {
        var storage = (VectorStorage)storageValue;
        const int n = 900;
        var db = SearchData.ClusteredWithTies(n, D, 51);
        var q = SearchData.Random(4, D, 52);
        var ids = SearchData.Ids(n, 53);
        using var index = new FlatIndex(SearchData.Device, D, storage);
        var reference = new ReferenceDb { D = D };
        // Appends of uneven sizes, searching in between so the device copy is updated incrementally.
        foreach (var (from, count) in new[] { (0, 100), (100, 1), (101, 250), (351, 549) })
        {
            var v = db.AsSpan(from * D, count * D).ToArray();
            var i = ids.AsSpan(from, count).ToArray();
            index.Add(v, i);
            reference.Append(v, i, storage);
            Check(index, reference, q, 40, $"after append to {from + count}");
        }
        var remove = ids.Where((_, i) => i % 4 == 1).ToArray();
        Assert.Equal(remove.Length, index.Remove(remove.Append(-7).Append(123456789).ToArray()));
        foreach (var id in remove) reference.Remove(id);
        Assert.Equal(n - remove.Length, index.Count);
        Assert.Equal(remove.Length, index.Set.Tombstones);
        Check(index, reference, q, 40, "with tombstones");
        Check(index, reference, q, 700, "with tombstones, large k");
        index.Compact();
        Assert.Equal(0, index.Set.Tombstones);
        Check(index, reference, q, 40, "after compaction");
        // Re-add a removed id with a new vector.
        var nv = SearchData.Random(1, D, 54);
        index.Add(nv, [remove[0]]);
        reference.Append(nv, [remove[0]], storage);
        Check(index, reference, q, n, "after re-adding a removed id");
    }

    private static void Check(FlatIndex index, ReferenceDb reference, float[] q, int k, string what)
    {
        foreach (var m in new[] { Metric.Ip, Metric.L2 })
        {
            var got = index.Search(q, k, m);
            var (e, s) = ReferenceKnn.Search(reference, q, k, m);
            KnnAssert.Exact(e, s, got.Ids, got.Scores, k, $"{what} {m}");
        }
    }

    [Fact]
    public void ArgumentErrors_AreClear()
    {
        using var index = new FlatIndex(SearchData.Device, D);
        var v = SearchData.Random(3, D, 1);
        Assert.Throws<ArgumentException>(() => index.Add(v.AsSpan(0, 2 * D + 1), [1, 2]));
        Assert.Throws<ArgumentException>(() => index.Add(v, [1, 2, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Add(v, [1, -2, 3]));
        index.Add(v, [1, 2, 3]);
        Assert.Throws<ArgumentException>(() => index.Add(v.AsSpan(0, D), [2]));
        Assert.Throws<ArgumentException>(() => index.Search(v.AsSpan(0, D - 1), 1, Metric.Ip));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(v, 0, Metric.Ip));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatIndex(SearchData.Device, 0));
        var nan = new float[D];
        nan[3] = float.NaN;
        using var i8 = new FlatIndex(SearchData.Device, D, VectorStorage.Int8);
        Assert.Throws<ArgumentException>(() => i8.Add(nan, [9]));
    }

    [Fact]
    public void EmptySet_AndZeroVectors()
    {
        using var index = new FlatIndex(SearchData.Device, D);
        var q = SearchData.Random(2, D, 61);
        var empty = index.Search(q, 3, Metric.L2);
        Assert.All(empty.Ids, id => Assert.Equal(-1, id));
        Assert.All(empty.Scores, s => Assert.Equal(float.PositiveInfinity, s));
        // A zero vector has cosine 0 to everything; a zero query scores 0 against every vector.
        var db = new float[3 * D];
        db[D] = 1f; db[2 * D + 1] = -2f;
        index.Add(db, [10, 20, 30]);
        var r = index.Search(q, 3, Metric.Cosine);
        Assert.Contains(10L, r.IdsOf(0).ToArray());
        Assert.Equal(0f, r.ScoresOf(0)[Array.IndexOf(r.IdsOf(0).ToArray(), 10L)]);
        var zq = new float[D];
        var z = index.Search(zq, 3, Metric.Cosine);
        Assert.Equal([10L, 20L, 30L], z.Ids);
        Assert.Equal([0f, 0f, 0f], z.Scores);
    }
}
