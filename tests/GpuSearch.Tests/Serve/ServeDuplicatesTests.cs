// GET /duplicates on a real Kestrel host: a planted copy (the same photo under another name) comes back as a group
// holding both with an identical-file pair; answers are computed once per threshold and reused; the threshold is
// bounded; an index over the item cap is refused with a JSON 503; in --writable mode DELETE and POST /items
// invalidate the cached groups; a read-only server beside a writer recomputes them once the writer commits.
using System.Net;
using System.Text.Json;
using GpuSearch.Cli.Serve;

namespace GpuSearch.Tests.Serve;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServeDuplicatesTests(ServeFixture fx) : IDisposable
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), "gpusearch-serve-dup-" + Guid.NewGuid().ToString("N"));

    private static JsonElement[] Groups(JsonElement answer) => answer.GetProperty("groups").EnumerateArray().ToArray();

    private static long[] MemberIds(JsonElement group) => group.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()).ToArray();

    private static JsonElement? GroupOf(JsonElement answer, long id) => Groups(answer).Where(g => MemberIds(g).Contains(id)).Cast<JsonElement?>().FirstOrDefault();

    [ServeFact]
    public async Task APlantedCopyIsOneGroupWithBothAndAnswersAreCachedPerThreshold()
    {
        var engine = fx.DuplicatesEngine;
        var (original, copy) = fx.PlantedCopy;
        long a = engine.FindItem(original)!.Id, b = engine.FindItem(copy)!.Id;
        var (host, http) = await fx.StartAsync(engine: engine);
        await using var _ = host;

        using var r = await http.GetAsync("/duplicates?threshold=0.95");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var answer = await ServeApiTests.Json(r);
        Assert.Equal(0.95f, answer.GetProperty("threshold").GetSingle());
        Assert.Equal(4, answer.GetProperty("items").GetInt64());
        var group = GroupOf(answer, a) ?? throw new Xunit.Sdk.XunitException("no group holds the original");
        Assert.Contains(b, MemberIds(group));
        var members = group.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetInt64());
        Assert.Equal(Path.GetFullPath(copy), members[b].GetProperty("path").GetString());
        Assert.Equal($"/thumbs/{b}", members[b].GetProperty("thumb").GetString());
        Assert.Equal($"/images/{a}", members[a].GetProperty("image").GetString());
        var pair = group.GetProperty("pairs").EnumerateArray().Single(p => p.GetProperty("a").GetInt64() == Math.Min(a, b) && p.GetProperty("b").GetInt64() == Math.Max(a, b));
        Assert.True(pair.GetProperty("identical").GetBoolean());
        Assert.InRange(pair.GetProperty("score").GetSingle(), 0.999f, 1.001f);
        Assert.Equal(1, host.Duplicates.Computations);

        // The same threshold again is the cached answer; another threshold is a new computation.
        using var again = await http.GetAsync("/duplicates?threshold=0.95");
        Assert.Equal(answer.GetProperty("compute_ms").GetDouble(), (await ServeApiTests.Json(again)).GetProperty("compute_ms").GetDouble());
        Assert.Equal(1, host.Duplicates.Computations);
        using var other = await http.GetAsync("/duplicates");
        Assert.Equal(0.9f, (await ServeApiTests.Json(other)).GetProperty("threshold").GetSingle());
        Assert.Equal(2, host.Duplicates.Computations);

        foreach (var bad in new[] { "0.3", "1.5", "NaN", "-1", "lots" })
        {
            using var refused = await http.GetAsync($"/duplicates?threshold={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("threshold", (await ServeApiTests.Json(refused)).GetProperty("error").GetString());
        }
        Assert.Equal(2, host.Duplicates.Computations);
    }

    [ServeFact]
    public async Task AnIndexOverTheItemCapIsRefusedWithAJson503()
    {
        var (host, http) = await fx.StartAsync(new ServeOptions { MaxDuplicateItems = 3 }, fx.DuplicatesEngine);
        await using var _ = host;
        using var r = await http.GetAsync("/duplicates");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        var error = await ServeApiTests.Json(r);
        Assert.Equal("IndexTooLarge", error.GetProperty("reason").GetString());
        Assert.Contains("gpusearch dedup", error.GetProperty("error").GetString());
        Assert.Equal(0, host.Duplicates.Computations);
    }

    [ServeFact]
    public async Task WritableChangesInvalidateTheCachedGroups()
    {
        var photos = fx.Photos;
        var copy = Directory.CreateDirectory(Path.Combine(_db + "-images")).FullName;
        File.Copy(photos[0], Path.Combine(copy, "copy-" + Path.GetFileName(photos[0])));
        using var engine = ImageSearchEngine.Open(_db, ServeFixture.Options(readOnly: false));
        await engine.AddImagesAsync([photos[0], photos[1], Path.Combine(copy, "copy-" + Path.GetFileName(photos[0]))]);
        long original = engine.FindItem(photos[0])!.Id, copied = engine.FindItem(Path.Combine(copy, "copy-" + Path.GetFileName(photos[0])))!.Id, second = engine.FindItem(photos[1])!.Id;
        var (host, http) = await fx.StartAsync(engine: engine);
        await using var _ = host;

        Assert.Contains(copied, MemberIds(GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), original)!.Value));
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/items/{copied}")).StatusCode);
        Assert.Null(GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), original));

        // Upload the second photo's bytes: stored under uploads/ by hash, so a new file identical to an indexed one.
        using var add = await http.PostAsync("/items", ServeApiTests.Upload(File.ReadAllBytes(photos[1])));
        long uploaded = (await ServeApiTests.Json(add)).GetProperty("id").GetInt64();
        var group = GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), second);
        Assert.Equal([second, uploaded], MemberIds(group!.Value));
        Assert.Equal(3, host.Duplicates.Computations);
    }

    [ServeFact]
    public async Task AReadOnlyServerRecomputesTheGroupsAfterAWritersCommit()
    {
        var photos = fx.Photos;
        var copies = Directory.CreateDirectory(_db + "-images").FullName;
        var copy = Path.Combine(copies, "copy-" + Path.GetFileName(photos[0]));
        File.Copy(photos[0], copy);
        using var writer = ImageSearchEngine.Open(_db, ServeFixture.Options(readOnly: false));
        await writer.AddImagesAsync([photos[0], photos[1]]);
        long original = writer.FindItem(photos[0])!.Id;
        using var reader = ImageSearchEngine.Open(_db, ServeFixture.Options(readOnly: true));
        var (host, http) = await fx.StartAsync(engine: reader);
        await using var _ = host;

        Assert.Null(GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), original));
        Assert.Null(GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), original));
        Assert.Equal(1, host.Duplicates.Computations);

        await writer.AddImagesAsync([copy]);
        long copied = writer.FindItem(copy)!.Id;
        var group = GroupOf(await ServeApiTests.Json(await http.GetAsync("/duplicates?threshold=0.95")), original);
        Assert.Equal([original, copied], MemberIds(group!.Value).Order());
        Assert.Equal(2, host.Duplicates.Computations);
    }

    public void Dispose()
    {
        foreach (var dir in new[] { _db, _db + "-images" })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
