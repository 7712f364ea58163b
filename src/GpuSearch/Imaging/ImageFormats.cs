// The one registry of image formats: detection (in order), folder-scan extensions, MIME type, upload extension,
// decoder and availability, one entry per format. The decoder front door, the folder scanner and the web server
// all read it; the per-format folders (Tiff/, Tga/, Pnm/, Native/Jpeg|Png|Webp) hold the header checks and decoders.
// MIME types: IANA-registered where one exists (image/tiff, RFC 3302); TGA and Netpbm have none, so they use the
// common unregistered ones (image/x-tga; image/x-portable-anymap, as freedesktop.org's shared-mime-info names PNM).
using GpuSearch.Native.Jpeg;
using GpuSearch.Native.Png;
using GpuSearch.Native.Webp;

namespace GpuSearch.Imaging;

/// <summary>Every image format the decoder knows, in detection order.</summary>
internal static class ImageFormats
{
    /// <summary>The most leading bytes any signature check reads: reading this many is enough to detect.</summary>
    public const int SignatureBytes = 32;

    /// <summary>The media type for bytes that are no known format.</summary>
    public const string UnknownMimeType = "application/octet-stream";

    /// <summary>The stored extension for bytes that are no known format.</summary>
    public const string UnknownExtension = ".img";

    // A byte array, not a u8 string literal: "\x89" in a UTF-8 literal would encode as two bytes.
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static string? Managed() => null;

    /// <summary>
    /// The entries in detection order. Order matters: formats with a signature first, TGA last because it has
    /// none (only a strictly plausible header), so it can never shadow a format that does have one.
    /// </summary>
    public static IReadOnlyList<ImageFormatEntry> All { get; } =
    [
        new(ImageFormat.Jpeg, d => d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF,
            [".jpg", ".jpeg", ".jpe", ".jfif"], "image/jpeg", ".jpg", DecodeJpeg, () => TurboJpegDecoder.UnavailableReason),
        new(ImageFormat.Png, d => d.StartsWith(PngSignature), [".png"], "image/png", ".png",
            (d, n, o) => new(PngDecoder.Decode(d, n, o, out var exif), exif is null ? 1 : ExifOrientation.FromTiff(exif)),
            () => PngDecoder.UnavailableReason),
        new(ImageFormat.Webp, d => d.Length >= 12 && d.StartsWith("RIFF"u8) && d.Slice(8, 4).SequenceEqual("WEBP"u8),
            [".webp"], "image/webp", ".webp",
            (d, n, o) => new(WebpDecoder.Decode(d, n, o), WebpDecoder.FindExif(d) is { } exif ? ExifOrientation.FromTiff(exif) : 1),
            () => WebpDecoder.UnavailableReason),
        new(ImageFormat.Gif, d => d.StartsWith("GIF87a"u8) || d.StartsWith("GIF89a"u8), [".gif"], "image/gif", ".gif",
            (d, n, o) => new(GifDecoder.Decode(d, n, o)), Managed),
        new(ImageFormat.Bmp, IsBmp, [".bmp", ".dib"], "image/bmp", ".bmp", (d, n, o) => new(BmpDecoder.Decode(d, n, o)), Managed),
        new(ImageFormat.Tiff, d => d.StartsWith("II*\0"u8) || d.StartsWith("MM\0*"u8), [".tif", ".tiff"], "image/tiff", ".tif",
            (d, n, o) => new(Tiff.TiffDecoder.Decode(d, n, o), ExifOrientation.FromTiff(d)), Managed),
        new(ImageFormat.Pnm, Pnm.PnmHeader.Matches, [".pnm", ".pbm", ".pgm", ".ppm"], "image/x-portable-anymap", ".pnm",
            (d, n, o) => new(Pnm.PnmDecoder.Decode(d, n, o)), Managed),
        new(ImageFormat.Tga, d => Tga.TgaHeader.TryRead(d) is not null, [".tga"], "image/x-tga", ".tga",
            (d, n, o) => new(Tga.TgaDecoder.Decode(d, n, o)), Managed),
    ];

    /// <summary>Every extension a folder scan picks up (case-insensitive).</summary>
    public static IReadOnlySet<string> FolderExtensions { get; } =
        new HashSet<string>(All.SelectMany(f => f.FolderExtensions), StringComparer.OrdinalIgnoreCase);

    /// <summary>The first entry whose check accepts <paramref name="head"/>, or null.</summary>
    public static ImageFormatEntry? Match(ReadOnlySpan<byte> head)
    {
        foreach (var f in All) if (f.Matches(head)) return f;
        return null;
    }

    /// <summary>The format whose check accepts <paramref name="head"/>, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat Detect(ReadOnlySpan<byte> head) => Match(head)?.Format ?? ImageFormat.Unknown;

    /// <summary>The entry for <paramref name="format"/>, or null (<see cref="ImageFormat.Unknown"/>, or a value with no entry).</summary>
    public static ImageFormatEntry? Get(ImageFormat format)
    {
        foreach (var f in All) if (f.Format == format) return f;
        return null;
    }

    /// <summary>The media type to serve <paramref name="head"/> (a file's leading bytes) with.</summary>
    public static string MimeTypeOf(ReadOnlySpan<byte> head) => Match(head)?.MimeType ?? UnknownMimeType;

    /// <summary>The extension to store <paramref name="head"/> (a file's leading bytes) under.</summary>
    public static string ExtensionOf(ReadOnlySpan<byte> head) => Match(head)?.Extension ?? UnknownExtension;

    // "BM" alone is too weak (plenty of text starts with it): require a plausible DIB header size too.
    private static bool IsBmp(ReadOnlySpan<byte> d) =>
        d.Length >= 18 && d[0] == (byte)'B' && d[1] == (byte)'M'
        && BitConverter.ToUInt32(d.Slice(14, 4)) is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124;

    private static FormatPixels DecodeJpeg(ReadOnlySpan<byte> data, string name, DecodeOptions options)
    {
        int orientation = options.ApplyExifOrientation ? ExifOrientation.FromJpeg(data) : 1;
        // The target is given upright; the decoder works on stored pixels, so swap it for 90° orientations.
        var target = options.MinTargetSize;
        if (target is { } t && ExifOrientation.SwapsAxes(orientation)) target = (t.Height, t.Width);
        var px = TurboJpegDecoder.Decode(data, name, options, target, out int fw, out int fh);
        return new(px, orientation, (fw, fh));
    }
}
