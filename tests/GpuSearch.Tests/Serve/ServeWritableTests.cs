// --writable: POST /items adds an upload (stored under DB/uploads by content hash) and it is found by search;
// DELETE /items/{id} removes it from the index and from results.
using System.Net;

namespace GpuSearch.Tests.Serve;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServeWritableTests(ServeFixture fx) : IDisposable
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), "gpusearch-serve-rw-" + Guid.NewGuid().ToString("N"));

    [ServeFact]
    public async Task UploadAddsAndDeleteRemoves()
    {
        Assert.True(fx.Engine.Count > 0); // the shared photos are in place
        using var engine = ImageSearchEngine.Open(_db, ServeFixture.Options(readOnly: false));
        await engine.AddImagesAsync(fx.Photos[..2]);
        var (host, http) = await fx.StartAsync(engine: engine);
        await using var running = host;
        var photo = File.ReadAllBytes(fx.Photos[3]);

        using var add = await http.PostAsync("/items", ServeApiTests.Upload(photo));
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        var added = await ServeApiTests.Json(add);
        long id = added.GetProperty("id").GetInt64();
        var stored = added.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(engine.Folder, "uploads"), Path.GetDirectoryName(stored));
        Assert.Equal(photo, File.ReadAllBytes(stored));
        Assert.Equal(3, engine.Count);

        // The same bytes again: already in, same id.
        using var again = await http.PostAsync("/items", ServeApiTests.Upload(photo));
        Assert.Equal(id, (await ServeApiTests.Json(again)).GetProperty("id").GetInt64());
        Assert.Equal(3, engine.Count);

        using var found = await http.PostAsync("/search?k=1", ServeApiTests.Upload(photo));
        Assert.Equal(id, (await ServeApiTests.Json(found)).GetProperty("results")[0].GetProperty("id").GetInt64());

        using var notImage = await http.PostAsync("/items", ServeApiTests.Upload("text"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, notImage.StatusCode);
        Assert.Equal(3, engine.Count);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/items/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/items/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/items/{id}")).StatusCode);
        using var gone = await http.PostAsync("/search?k=3", ServeApiTests.Upload(photo));
        Assert.DoesNotContain(id, (await ServeApiTests.Json(gone)).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
    }

    public void Dispose()
    {
        try { Directory.Delete(_db, recursive: true); } catch (IOException) { }
    }
}
