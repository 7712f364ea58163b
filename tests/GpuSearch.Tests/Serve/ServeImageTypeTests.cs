// The web server names files by the format registry: GET /images/{id} sends the registered MIME type (TIFF, TGA and
// PNM used to fall to application/octet-stream) and an upload is stored under the registered extension (they used
// to become .img). Unit tests of the endpoint helpers: no model or shared data needed.
using GpuSearch.Cli.Serve;
using GpuSearch.Imaging;
using GpuSearch.Tests.Imaging;

namespace GpuSearch.Tests.Serve;

public sealed class ServeImageTypeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpusearch-serve-types-").FullName;

    [Theory]
    [InlineData(ImageFormat.Tiff, "image/tiff", ".tif")]
    [InlineData(ImageFormat.Tga, "image/x-tga", ".tga")]
    [InlineData(ImageFormat.Pnm, "image/x-portable-anymap", ".pnm")]
    [InlineData(ImageFormat.Png, "image/png", ".png")]
    public void Served_type_and_upload_extension_follow_the_format(ImageFormat format, string mime, string ext)
    {
        var bytes = ImageFormatsTests.Heads.Single(h => h.Format == format).Head;
        var stored = ItemEndpoints.Save(_dir, bytes);
        Assert.Equal(ext, Path.GetExtension(stored));
        Assert.Equal(Path.Combine(_dir, "uploads"), Path.GetDirectoryName(stored));
        Assert.Equal(bytes, File.ReadAllBytes(stored));
        // The stored name says .tif etc., but the type comes from the bytes: a misnamed copy gets the same type.
        var misnamed = Path.Combine(_dir, "misnamed.jpg");
        File.Copy(stored, misnamed);
        Assert.Equal(mime, ImageEndpoints.ContentType(stored));
        Assert.Equal(mime, ImageEndpoints.ContentType(misnamed));
    }

    [Fact]
    public void Unknown_bytes_are_octet_stream()
    {
        var path = Path.Combine(_dir, "x.tif");
        File.WriteAllText(path, "not an image");
        Assert.Equal("application/octet-stream", ImageEndpoints.ContentType(path));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
