// The engine methods a service builds on: per-query options on one shared scan (same hits as one query at a
// time), search from bytes, by id and by vector, items by id and by page, and read-only opening.
using GpuSearch.Imaging;
using GpuSearch.Tests.Serve;

namespace GpuSearch.Tests.Engine;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class EngineQueryTests(ServeFixture fx)
{
    [ServeFact]
    public void PerQueryOptionsOnOneScanMatchOneQueryAtATime()
    {
        var engine = fx.Engine;
        var ids = engine.ListItems(0, 100).Select(i => i.Id).ToArray();
        var vectors = ids.SelectMany(id => engine.GetVector(id)!).ToArray();
        var options = ids.Select((id, i) => new QueryOptions(1 + i % 3, i % 2 == 0 ? 0.25f : -1f, i % 3 == 0 ? id : null)).ToArray();
        var together = engine.Search(vectors, options);
        for (int i = 0; i < ids.Length; i++)
        {
            var alone = engine.Search(vectors.AsSpan(i * engine.Dimension, engine.Dimension), [options[i]])[0];
            Assert.Equal(alone, together[i]);
            Assert.True(together[i].Count <= options[i].K);
            Assert.All(together[i], h => Assert.True(h.Score >= options[i].MinScore));
            if (options[i].ExcludeId is { } ex) Assert.DoesNotContain(together[i], h => h.Id == ex);
            else if (together[i].Count > 0) Assert.Equal(ids[i], together[i][0].Id);
        }
        // The unfiltered hits, cut the same way, are what the options give.
        var plain = engine.Search(vectors.AsSpan(0, engine.Dimension), 5)[0];
        Assert.Equal(plain.Where(h => h.Id != ids[0] && h.Score >= 0.25f).Take(1), together[0]);
    }

    [ServeFact]
    public void SearchFromBytesByIdAndByVector()
    {
        var engine = fx.Engine;
        var photo = fx.Photos[2];
        var item = engine.FindItem(photo)!;
        Assert.Equal(item.Id, engine.Search(File.ReadAllBytes(photo), "q", new QueryOptions(1))[0].Id);
        Assert.DoesNotContain(engine.SearchById(item.Id, new QueryOptions(3))!, h => h.Id == item.Id);
        Assert.Equal(item.Id, engine.SearchById(item.Id, new QueryOptions(1), excludeSelf: false)![0].Id);
        Assert.Null(engine.SearchById(-5, new QueryOptions(1)));
        Assert.Null(engine.SearchById(999_999, new QueryOptions(1)));
        var v = engine.GetVector(item.Id)!;
        Assert.Equal(item.Id, engine.SearchVector(v.Select(x => x * 0.5f).ToArray(), new QueryOptions(1))[0].Id);
        var bad = v.ToArray();
        bad[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => engine.SearchVector(bad, new QueryOptions(1)));
        Assert.Throws<ArgumentException>(() => engine.SearchVector(new float[engine.Dimension], new QueryOptions(1)));
        Assert.Throws<ArgumentException>(() => engine.SearchVector(new float[3], new QueryOptions(1)));
        Assert.Equal(DecodeFailureReason.NotAnImage, Assert.Throws<ImageDecodeException>(() => engine.Decode("hello"u8, "q")).Reason);
    }

    [ServeFact]
    public void ItemsByIdAndByPageAndReadOnlyRefusesWrites()
    {
        var engine = fx.Engine;
        var all = engine.ListItems(0, 1000);
        Assert.Equal(engine.Count, all.Count);
        Assert.Equal(all.Select(i => i.Id).Order(), all.Select(i => i.Id));
        Assert.Equal(all.Skip(1).Take(2).Select(i => i.Id), engine.ListItems(1, 2).Select(i => i.Id));
        Assert.Empty(engine.ListItems(1000, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.ListItems(-1, 10));
        Assert.Equal(all[0], engine.GetItem(all[0].Id));
        Assert.Null(engine.GetItem(-1));
        Assert.Null(engine.GetVector(-1));
        Assert.True(engine.IsReadOnly);
        Assert.Throws<InvalidOperationException>(() => engine.Delete(all[0].Id));
        Assert.NotNull(engine.GetItem(all[0].Id));
    }
}
