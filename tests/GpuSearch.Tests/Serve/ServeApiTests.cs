// The HTTP API against a real Kestrel instance on a loopback port and a real index: search by upload, id and
// vector; items; files by id only (traversal refused); bad uploads as JSON 400s; the upload limit as 413.
using GpuSearch.Tests.Support;
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GpuSearch.Cli.Serve;
using GpuSearch.Reports;

namespace GpuSearch.Tests.Serve;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServeApiTests(ServeFixture fx)
{
    internal static MultipartFormDataContent Upload(byte[] bytes, string field = UploadReader.Field)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, field, "query.bin" } };
    }

    internal static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string[] Paths(JsonElement searchAnswer) =>
        searchAnswer.GetProperty("results").EnumerateArray().Select(x => x.GetProperty("path").GetString()!).ToArray();

    [ServeFact]
    public async Task SearchByUploadReturnsTheQueryImageFirst()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        foreach (var photo in fx.Photos)
        {
            using var r = await http.PostAsync("/search?k=3", Upload(File.ReadAllBytes(photo)));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var answer = await Json(r);
            var results = answer.GetProperty("results").EnumerateArray().ToArray();
            Assert.Equal(3, results.Length);
            Assert.Equal(Path.GetFullPath(photo), results[0].GetProperty("path").GetString());
            Assert.InRange(results[0].GetProperty("score").GetSingle(), 0.999f, 1.001f);
            Assert.Equal(JsonValueKind.Null, results[0].GetProperty("key").ValueKind);
            Assert.Equal(JsonValueKind.Null, results[0].GetProperty("metadata").ValueKind);
            Assert.True(answer.GetProperty("took_ms").GetDouble() >= 0);
        }
        // min_score keeps only hits at or above it: the image itself.
        using var strict = await http.PostAsync("/search?k=5&min_score=0.99", Upload(File.ReadAllBytes(fx.Photos[0])));
        Assert.Equal([Path.GetFullPath(fx.Photos[0])], Paths(await Json(strict)));
    }

    [ServeFact]
    public async Task SearchByIdAndByVector()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        var item = fx.Engine.FindItem(fx.Photos[1])!;
        using var more = await http.PostAsJsonAsync("/search?k=2", new { id = item.Id });
        var excluded = Paths(await Json(more));
        Assert.Equal(2, excluded.Length);
        Assert.DoesNotContain(item.Path, excluded);
        using var withSelf = await http.PostAsJsonAsync("/search?k=2&exclude_self=false", new { id = item.Id });
        var included = Paths(await Json(withSelf));
        Assert.Equal(item.Path, included[0]);
        Assert.Equal(excluded[0], included[1]);

        // A caller's vector (scaled: the server normalises it) finds the item it came from.
        var v = fx.Engine.GetVector(item.Id)!.Select(x => x * 3).ToArray();
        using var byVector = await http.PostAsJsonAsync("/search?k=1", new { vector = v });
        Assert.Equal([item.Path], Paths(await Json(byVector)));

        using var wrongLength = await http.PostAsJsonAsync("/search", new { vector = new[] { 1f, 2f } });
        Assert.Equal(HttpStatusCode.BadRequest, wrongLength.StatusCode);
        using var unknown = await http.PostAsJsonAsync("/search", new { id = 999_999 });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var both = await http.PostAsJsonAsync("/search", new { id = item.Id, vector = v });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        using var badK = await http.PostAsJsonAsync("/search?k=0", new { id = item.Id });
        Assert.Equal("BadRequest", (await Json(badK)).GetProperty("reason").GetString());
    }

    [ServeFact]
    public async Task FilesAreServedByIdOnlyAndTraversalIsRefused()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        var item = fx.Engine.FindItem(fx.Photos[0])!;
        Assert.Equal(File.ReadAllBytes(fx.Photos[0]), await http.GetByteArrayAsync($"/images/{item.Id}"));
        using var thumb = await http.GetAsync($"/thumbs/{item.Id}");
        Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType!.MediaType);
        var small = GpuSearch.Imaging.ImageDecoder.Decode(await thumb.Content.ReadAsByteArrayAsync(), "thumb");
        Assert.Equal(GpuSearch.Imaging.ImageFormat.Jpeg, small.Format);
        Assert.True(Math.Max(small.Width, small.Height) <= new ServeOptions().ThumbnailSide);

        string[] attacks =
        [
            "/images/..%2f..%2fetc%2fpasswd", "/images/..%2F..%2F..%2Fetc%2Fpasswd", "/images/%2fetc%2fpasswd", "/images//etc/passwd",
            "/images/../../etc/passwd", "/thumbs/..%2f..%2fetc%2fpasswd", "/images/-1", "/thumbs/-1", "/images/999999",
            "/images/9223372036854775808", "/images/1.5", "/images/0x1", $"/images/{item.Id}%2f..%2f..%2fetc%2fpasswd",
        ];
        foreach (var attack in attacks)
        {
            using var r = await http.GetAsync(attack);
            Assert.True(r.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{attack} answered {r.StatusCode}");
            var body = await r.Content.ReadAsStringAsync();
            Assert.DoesNotContain("root:", body);
            Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        }
    }

    [ServeFact]
    public async Task BadUploadsAreJson400sNamingTheReason()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        var jpeg = File.ReadAllBytes(fx.Photos.First(p => p.EndsWith(".jpg")));
        // A PNG whose header claims 100000×100000 pixels: refused before any pixel memory is allocated.
        var bomb = TestPng.EncodeRgb(new byte[3], 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(29), TestPng.Crc32(0xFFFFFFFFu, bomb.AsSpan(12, 17)) ^ 0xFFFFFFFFu);
        var cases = new (byte[] Bytes, string Reason)[]
        {
            ("just some text, not an image"u8.ToArray(), "NotAnImage"),
            (jpeg[..(jpeg.Length / 3)], "Truncated"),
            (bomb, "TooLarge"),
            ([], "Empty"),
        };
        foreach (var (bytes, reason) in cases)
        {
            using var r = await http.PostAsync("/search", Upload(bytes));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var body = await r.Content.ReadAsStringAsync();
            Assert.Equal(reason, JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString());
            Assert.DoesNotContain("   at ", body); // no stack trace
        }
        using var noField = await http.PostAsync("/search", Upload(jpeg, field: "photo"));
        Assert.Equal(HttpStatusCode.BadRequest, noField.StatusCode);
        using var notForm = await http.PostAsync("/search", new ByteArrayContent(jpeg));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notForm.StatusCode);
        using var badJson = await http.PostAsync("/search", new StringContent("{\"id\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
    }

    [ServeFact]
    public async Task UploadsOverTheLimitGet413()
    {
        var (host, http) = await fx.StartAsync(new ServeOptions { MaxUploadBytes = 64 << 10 });
        await using var _ = host;
        // Just over the limit (the handler's check) and far over it (Kestrel's body limit).
        foreach (var size in new[] { (64 << 10) + 1, 1 << 20 })
        {
            using var r = await http.PostAsync("/search", Upload(new byte[size]));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Equal("TooLarge", (await Json(r)).GetProperty("reason").GetString());
        }
        using var small = await http.PostAsync("/search?k=1", Upload(File.ReadAllBytes(fx.Photos.First(p => p.EndsWith(".jpeg")))));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [ServeFact]
    public async Task ARequestOverTheTimeoutGets504Json()
    {
        // A lone request waits the whole batch window for company; the timeout ends that wait. (The upload itself is
        // read well within the timeout, so the answer is not racing the request body.)
        var (host, http) = await fx.StartAsync(new ServeOptions { RequestTimeout = TimeSpan.FromSeconds(1), BatchWindow = TimeSpan.FromSeconds(4) });
        await using var _ = host;
        using var r = await http.PostAsync("/search", Upload(File.ReadAllBytes(fx.Photos[0])));
        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        Assert.Equal("Timeout", (await Json(r)).GetProperty("reason").GetString());
    }

    [ServeFact]
    public async Task TheApiKeyIsEnforcedWhenSet()
    {
        const string key = "0123456789abcdef-test-key";
        var (host, http) = await fx.StartAsync(new ServeOptions { ApiKey = key });
        await using var _ = host;
        foreach (var path in new[] { "/health", "/stats", "/items", "/images/1", "/thumbs/1", "/openapi.json", "/nothing-here" })
        {
            using var none = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { ApiKeyCheck.Header, key + "x" } } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        using var noKeySearch = await http.PostAsync("/search", Upload(File.ReadAllBytes(fx.Photos[0])));
        Assert.Equal(HttpStatusCode.Unauthorized, noKeySearch.StatusCode);

        using var header = new HttpRequestMessage(HttpMethod.Get, "/stats") { Headers = { { ApiKeyCheck.Header, key } } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(header)).StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/items") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
        // The page itself holds no data; it loads without the key and sends the one the user types.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
    }

    [ServeFact]
    public async Task ItemsStatsHealthAndTheOpenApiDocument()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        var all = await Json(await http.GetAsync("/items?offset=0&limit=1000"));
        var ids = all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(fx.Photos.Length, ids.Length);
        Assert.Equal(fx.Photos.Length, all.GetProperty("total").GetInt64());
        Assert.Equal(ids.Order(), ids);
        var page = await Json(await http.GetAsync("/items?offset=2&limit=2"));
        Assert.Equal(ids[2..4], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/items?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/items?offset=-1")).StatusCode);

        var one = await Json(await http.GetAsync($"/items/{ids[0]}"));
        Assert.Equal(fx.Engine.GetItem(ids[0])!.Path, one.GetProperty("path").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/items/999999")).StatusCode);

        var stats = await Json(await http.GetAsync("/stats"));
        Assert.Equal(fx.Photos.Length, stats.GetProperty("count").GetInt64());
        Assert.Equal(Path.GetFileName(ServeFixture.Model), stats.GetProperty("model").GetString());
        Assert.Equal(fx.Engine.Device.Name, stats.GetProperty("device").GetString());
        Assert.True(stats.GetProperty("read_only").GetBoolean());
        Assert.Equal("ok", (await Json(await http.GetAsync("/health"))).GetProperty("status").GetString());

        var doc = await Json(await http.GetAsync("/openapi.json"));
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        foreach (var p in new[] { "/search", "/items", "/items/{id}", "/images/{id}", "/thumbs/{id}", "/health", "/stats" }) Assert.Contains(p, paths);

        // Read-only unless --writable: uploads and deletes are refused, and nothing changes.
        using var add = await http.PostAsync("/items", Upload(File.ReadAllBytes(fx.Photos[0])));
        Assert.Equal(HttpStatusCode.Forbidden, add.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.DeleteAsync($"/items/{ids[0]}")).StatusCode);
        Assert.Equal(fx.Photos.Length, fx.Engine.Count);
    }
}
