// Encodes report thumbnails (contact sheets, the web page) as small JPEGs with ImageSharp: a 128 px photo
// thumbnail is a few kilobytes where lossless PNG took tens. Only our own decoded, size-limited RGB pixels reach
// the encoder; ImageSharp never parses untrusted bytes here.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GpuSearch.Reports;

internal static class ThumbnailEncoder
{
    /// <summary>The media type of <see cref="Jpeg"/>'s output.</summary>
    public const string MediaType = "image/jpeg";

    private static readonly JpegEncoder JpegQ80 = new() { Quality = 80 };
    private static readonly WebpEncoder WebpQ75 = new() { Quality = 75, FileFormat = WebpFileFormatType.Lossy };

    /// <summary>A baseline JPEG, quality 80 (4:2:0).</summary>
    public static byte[] Jpeg(RgbImage t) => Encode(t, (img, s) => img.SaveAsJpeg(s, JpegQ80));

    /// <summary>A lossy WebP, quality 75 (measured against JPEG in bench/; not used by default).</summary>
    public static byte[] Webp(RgbImage t) => Encode(t, (img, s) => img.SaveAsWebp(s, WebpQ75));

    private static byte[] Encode(RgbImage t, Action<Image<Rgb24>, Stream> save)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var img = Image.LoadPixelData<Rgb24>(t.Rgb, t.Width, t.Height);
        using var ms = new MemoryStream();
        save(img, ms);
        return ms.ToArray();
    }
}
