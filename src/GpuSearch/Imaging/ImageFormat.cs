// The image container formats the decoder knows. What each one is (detection, extensions, MIME type, decoder)
// is registered in ImageFormats; detection never looks at the file name: extensions lie (a .jpg that is really a PNG is common).
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
