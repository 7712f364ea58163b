// GET /images/{id} and GET /thumbs/{id}: files of indexed items, found by id in the catalog. The request never
// names a path; a route that is not a 64-bit integer (../, %2f, an absolute path) does not match and is a 404.
using GpuSearch.Imaging;
using GpuSearch.Reports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class ImageEndpoints
{
    public static void Map(WebApplication app, ImageSearchEngine engine, ThumbnailCache thumbs)
    {
        app.MapGet("/images/{id:long}", (long id) =>
        {
            var item = engine.GetItem(id);
            if (item is null || !File.Exists(item.Path)) return ItemEndpoints.NotFound(id);
            return Results.File(item.Path, ContentType(item.Path), enableRangeProcessing: true);
        }).Produces(200, null, "image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp").Produces<ApiError>(404).WithSummary("The indexed image file of an item");

        app.MapGet("/thumbs/{id:long}", (long id) =>
        {
            var item = engine.GetItem(id);
            if (item is null || !File.Exists(item.Path)) return ItemEndpoints.NotFound(id);
            byte[] jpeg;
            try { jpeg = thumbs.Get(id, item.Path); }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
            {
                return Results.Json(new ApiError($"item {id}'s file no longer decodes", "Unreadable"), ServeJson.Options, statusCode: 404);
            }
            return Results.Bytes(jpeg, ThumbnailEncoder.MediaType);
        }).Produces(200, null, ThumbnailEncoder.MediaType).Produces<ApiError>(404).WithSummary("A JPEG thumbnail of an item (cached in memory)");
    }

    private static string ContentType(string path)
    {
        Span<byte> head = stackalloc byte[32];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.Read(head);
        return ImageFormatDetector.Detect(head[..n]) switch
        {
            ImageFormat.Jpeg => "image/jpeg", ImageFormat.Png => "image/png", ImageFormat.Webp => "image/webp",
            ImageFormat.Gif => "image/gif", ImageFormat.Bmp => "image/bmp", _ => "application/octet-stream",
        };
    }
}
