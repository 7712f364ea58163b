// The image container formats the decoder knows, and format detection from magic bytes.
// Detection never looks at the file name: extensions lie (a .jpg that is really a PNG is common).
namespace GpuSearch.Imaging;

/// <summary>An image container format, as detected from the file's leading bytes.</summary>
public enum ImageFormat
{
    /// <summary>Not recognised (or not yet detected).</summary>
    Unknown = 0,
    /// <summary>JPEG/JFIF/EXIF (decoded through TurboJPEG).</summary>
    Jpeg,
    /// <summary>PNG (decoded through libpng's simplified API).</summary>
    Png,
    /// <summary>WebP, lossy or lossless (decoded through libwebp).</summary>
    Webp,
    /// <summary>GIF 87a/89a, first frame (managed decoder).</summary>
    Gif,
    /// <summary>Windows/OS2 bitmap (managed decoder).</summary>
    Bmp,
    /// <summary>TIFF (classic, first page; ImageSharp after our own IFD check).</summary>
    Tiff,
    /// <summary>Truevision TGA (ImageSharp after our own header check). TGA has no signature: detected last, from a
    /// strictly plausible header.</summary>
    Tga,
    /// <summary>Netpbm PBM/PGM/PPM, P1–P6 (ImageSharp after our own header check).</summary>
    Pnm,
}

/// <summary>Detects an <see cref="ImageFormat"/> from magic bytes.</summary>
internal static class ImageFormatDetector
{
    // A byte array, not a u8 string literal: "\x89" in a UTF-8 literal would encode as two bytes.
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Returns the format whose signature starts <paramref name="data"/>, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        if (data.StartsWith(PngSignature)) return ImageFormat.Png;
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8)) return ImageFormat.Webp;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        // "BM" alone is too weak (plenty of text starts with it): require a plausible DIB header size too.
        if (data.Length >= 18 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            var dib = BitConverter.ToUInt32(data.Slice(14, 4));
            if (dib is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124) return ImageFormat.Bmp;
        }
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8)) return ImageFormat.Tiff;
        if (Pnm.PnmHeader.Matches(data)) return ImageFormat.Pnm;
        if (Tga.TgaHeader.TryRead(data) is not null) return ImageFormat.Tga;
        return ImageFormat.Unknown;
    }
}
