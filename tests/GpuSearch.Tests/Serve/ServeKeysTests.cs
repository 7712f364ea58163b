// Caller keys, metadata and filters through the engine and `gpusearch serve`: keyed adds from a file and from
// memory, upsert, delete by key, filtered searches equal to a brute-force cut of the unfiltered ranking, bad
// metadata refused, and the server returning key/metadata and honouring a filter (JSON body and multipart field).
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GpuSearch.Tests.Serve;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServeKeysTests(ServeFixture fx) : IDisposable
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), "gpusearch-serve-keys-" + Guid.NewGuid().ToString("N"));

    private static string Meta(int i) => $$"""{"group": "{{(i % 2 == 0 ? "even" : "odd")}}", "n": {{i}}, "tags": ["x"]}""";

    /// <summary>The filtered ranking as the unfiltered ranking over everything, cut to the allowed ids.</summary>
    private static long[] BruteForce(ImageSearchEngine engine, float[] query, SearchFilter filter, int k)
    {
        var allowed = engine.FilterIds(filter).ToHashSet();
        return engine.Search(query, (int)engine.Count)[0].Where(h => allowed.Contains(h.Id)).Take(k).Select(h => h.Id).ToArray();
    }

    [ServeFact]
    public async Task KeysMetadataAndFiltersThroughEngineAndServer()
    {
        Assert.True(fx.Engine.Count > 0); // builds the fixture, which puts the shared photos in place
        var photos = fx.Photos;
        using var engine = ImageSearchEngine.Open(_db, ServeFixture.Options(readOnly: false));
        for (int i = 0; i < photos.Length; i++) await engine.AddAsync($"P{i}", photos[i], Meta(i));
        var fromMemory = await engine.AddAsync("M0", File.ReadAllBytes(photos[0]), """{"group": "odd", "n": 100}""");
        Assert.StartsWith("memory:", fromMemory.Path);
        Assert.Equal(photos.Length + 1, engine.Count);

        // Upsert: P0 now holds photo 1's vector and new metadata; the count does not change.
        var oldP0 = engine.GetByKey("P0")!;
        var newP0 = await engine.AddAsync("P0", photos[1], """{"group": "odd", "n": 10}""");
        Assert.NotEqual(oldP0.Id, newP0.Id);
        Assert.Equal(newP0.Id, engine.GetByKey("P0")!.Id);
        Assert.Contains("\"n\": 10", engine.GetByKey("P0")!.LabelsJson);
        Assert.Null(engine.GetItem(oldP0.Id));
        Assert.Equal(photos.Length + 1, engine.Count);
        Assert.Equal(engine.GetVector(engine.GetByKey("P1")!.Id), engine.GetVector(newP0.Id));
        Assert.Contains(engine.ListItems(0, 100), i => i.Key == "P0" && i.LabelsJson!.Contains("\"n\": 10"));

        // Filtered searches: exactly the brute-force cut of the full ranking.
        var query = engine.GetVector(engine.GetByKey("P2")!.Id)!;
        SearchFilter[] filters =
        [
            new(new EqualsCondition("group", "even")),
            new(new RangeCondition("n", 1, 10)),
            new(new InCondition("n", [3, 4, 100]), new EqualsCondition("group", "odd")),
            new(new EqualsCondition("group", "none")),
        ];
        foreach (var f in filters)
            foreach (var k in new[] { 1, 2, 10 })
            {
                var hits = engine.Search(query, [new QueryOptions(k, Filter: f)])[0];
                Assert.Equal(BruteForce(engine, query, f, k), hits.Select(h => h.Id).ToArray());
            }
        Assert.Empty(engine.Search(query, [new QueryOptions(5, Filter: filters[3])])[0]);
        // A batch mixing filtered and unfiltered queries (what the server's micro-batcher sends) answers each as alone.
        QueryOptions[] mixed = [new(3), new(3, Filter: filters[0]), new(2, ExcludeId: engine.GetByKey("P2")!.Id), new(10, Filter: filters[1])];
        var together = engine.Search(mixed.SelectMany(_ => query).ToArray(), mixed);
        for (int i = 0; i < mixed.Length; i++) Assert.Equal(engine.Search(query, [mixed[i]])[0], together[i]);
        Assert.Equal([engine.GetByKey("P2")!.Id, engine.GetByKey("P4")!.Id], engine.FilterIds(filters[0]));

        // Bad metadata and keys are refused before anything is read or stored.
        Assert.Contains("must be a JSON object", (await Assert.ThrowsAsync<ArgumentException>(() => engine.AddAsync("X", photos[0], "[1, 2]"))).Message);
        Assert.Contains("not valid JSON", (await Assert.ThrowsAsync<ArgumentException>(() => engine.AddAsync("X", photos[0], "{"))).Message);
        await Assert.ThrowsAsync<ArgumentException>(() => engine.AddAsync("", photos[0]));
        Assert.Null(engine.GetByKey("X"));

        // Delete by key: gone from lookups and from every search.
        var m0 = engine.GetByKey("M0")!.Id;
        Assert.True(engine.DeleteByKey("M0"));
        Assert.False(engine.DeleteByKey("M0"));
        Assert.DoesNotContain(engine.Search(query, 10)[0], h => h.Id == m0);

        var (host, http) = await fx.StartAsync(engine: engine);
        await using var running = host;
        var p2 = engine.GetByKey("P2")!;
        using var byId = await http.PostAsJsonAsync("/search?k=10&exclude_self=false", new { id = p2.Id, filter = new { group = "even" } });
        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        var results = (await ServeApiTests.Json(byId)).GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(BruteForce(engine, query, filters[0], 10), results.Select(r => r.GetProperty("id").GetInt64()).ToArray());
        Assert.Equal("P2", results[0].GetProperty("key").GetString());
        Assert.All(results, r => Assert.Equal("even", r.GetProperty("metadata").GetProperty("group").GetString()));
        Assert.Equal("x", results[0].GetProperty("metadata").GetProperty("tags")[0].GetString());

        using var form = ServeApiTests.Upload(File.ReadAllBytes(photos[2]));
        form.Add(new StringContent("""{"n": {"gte": 3, "lte": 10}}"""), "filter");
        using var upload = await http.PostAsync("/search?k=10", form);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var uploaded = (await ServeApiTests.Json(upload)).GetProperty("results").EnumerateArray().ToArray();
        Assert.NotEmpty(uploaded);
        Assert.Equal(engine.FilterIds(new SearchFilter(new RangeCondition("n", 3, 10))).Order(), uploaded.Select(r => r.GetProperty("id").GetInt64()).Order());

        using var item = await http.GetAsync($"/items/{p2.Id}");
        var itemJson = await ServeApiTests.Json(item);
        Assert.Equal("P2", itemJson.GetProperty("key").GetString());
        Assert.Equal(2, itemJson.GetProperty("metadata").GetProperty("n").GetInt32());

        using var bad = await http.PostAsJsonAsync("/search", new { id = p2.Id, filter = new { n = new { gt = 1 } } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'n'", (await ServeApiTests.Json(bad)).GetProperty("error").GetString());
    }

    public void Dispose()
    {
        try { Directory.Delete(_db, recursive: true); } catch (IOException) { }
    }
}
