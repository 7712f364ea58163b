// Items by id: GET /items/{id}, GET /items?offset=&limit=, and in --writable mode POST /items (upload) and
// DELETE /items/{id} (both invalidate the cached duplicate groups). Uploads are stored under DB/uploads/ named by their SHA-256, never by a client's name.
using GpuSearch.Imaging;
using GpuSearch.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class ItemEndpoints
{
    public static void Map(WebApplication app, ImageSearchEngine engine, ServeOptions options, DuplicateGroups duplicates)
    {
        app.MapGet("/items/{id:long}", (long id) =>
            engine.GetItem(id) is { } item ? Results.Json(ItemResponse.From(item), ServeJson.Options) : NotFound(id))
            .Produces<ItemResponse>().Produces<ApiError>(404).WithSummary("One indexed item");

        app.MapGet("/items", (HttpRequest request) =>
        {
            var offset = QueryArgs.Long(request, "offset", 0, 0);
            var limit = QueryArgs.Int(request, "limit", 50, 1, 1000);
            var page = engine.ListItems(offset, limit).Select(ItemResponse.From).ToArray();
            return Results.Json(new ItemsPage(page, offset, limit, engine.Count), ServeJson.Options);
        }).Produces<ItemsPage>().WithSummary("Indexed items in id order, a page at a time (offset, limit ≤ 1000)");

        app.MapPost("/items", async (HttpRequest request, CancellationToken ct) =>
        {
            RequireWritable(engine);
            var bytes = await UploadReader.ReadImageAsync(request, options.MaxUploadBytes, ct);
            engine.Decode(bytes, "upload"); // refuse non-images before anything is written
            var path = Save(engine.Folder, bytes);
            long? id = null;
            var report = await engine.AddImagesAsync([path], cancellationToken: ct, onCommitted: b => id = b.Ids[0]);
            if (report.Failures.Count > 0) throw new ApiException(400, report.Failures[0].Reason, report.Failures[0].Message);
            if (id is not null) duplicates.Invalidate();
            id ??= engine.FindItem(path)?.Id; // already indexed with the same content: answer with its id
            return id is { } found ? Results.Json(new AddedItem(found, path), ServeJson.Options, statusCode: 201)
                : throw new InvalidOperationException("the upload was neither added nor found");
        }).Accepts<IFormFile>("multipart/form-data").Produces<AddedItem>(201).Produces<ApiError>(400).Produces<ApiError>(403).Produces<ApiError>(413)
          .WithSummary("Add an uploaded image (--writable only)").DisableAntiforgery();

        app.MapDelete("/items/{id:long}", (long id) =>
        {
            RequireWritable(engine);
            if (!engine.Delete(id)) return NotFound(id);
            duplicates.Invalidate();
            return Results.NoContent();
        }).Produces(204).Produces<ApiError>(403).Produces<ApiError>(404).WithSummary("Delete an item (--writable only)");
    }

    private static void RequireWritable(ImageSearchEngine engine)
    {
        if (engine.IsReadOnly) throw new ApiException(403, "ReadOnly", "the server opened the index read-only; start it with --writable");
    }

    /// <summary>Stores an upload under <paramref name="folder"/>/uploads, named by its SHA-256 and its format's registered extension.</summary>
    internal static string Save(string folder, byte[] bytes)
    {
        var dir = Path.Combine(folder, "uploads");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, ContentHash.Of(bytes) + ImageFormats.ExtensionOf(bytes));
        if (!File.Exists(path))
        {
            var tmp = path + ".tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
        return path;
    }

    public static IResult NotFound(long id) => Results.Json(new ApiError($"no item with id {id}", "NotFound"), ServeJson.Options, statusCode: 404);
}
