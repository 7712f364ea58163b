// Reads an uploaded image from a multipart form into memory, refusing anything over the upload limit before
// buffering more than the limit (Kestrel's body limit backs this up for bodies that lie about their size).
using Microsoft.AspNetCore.Http;

namespace GpuSearch.Cli.Serve;

internal static class UploadReader
{
    public const string Field = "image";

    public static async Task<byte[]> ReadImageAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            throw new ApiException(415, "UnsupportedMediaType", $"send multipart/form-data with the image in a field named '{Field}'");
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile(Field) ?? throw new ApiException(400, "BadRequest", $"the form has no file field named '{Field}'");
        if (file.Length > maxBytes)
            throw new ApiException(413, "TooLarge", $"the upload is {file.Length} bytes; the limit is {maxBytes}");
        var bytes = new byte[file.Length];
        await using var s = file.OpenReadStream();
        await s.ReadExactlyAsync(bytes, ct);
        return bytes;
    }
}
