// The result of a decode: upright RGB8 pixels plus what the caller needs to know about where they came from.
namespace GpuSearch.Imaging;

/// <summary>A decoded image: interleaved 8-bit RGB, rows top to bottom, no padding, EXIF orientation applied.</summary>
public sealed class DecodedImage
{
    /// <summary>Width in pixels of <see cref="Pixels"/>.</summary>
    public int Width { get; }
    /// <summary>Height in pixels of <see cref="Pixels"/>.</summary>
    public int Height { get; }
    /// <summary>RGB bytes, <c>Width * Height * 3</c> long.</summary>
    public byte[] Pixels { get; }
    /// <summary>Full-resolution width (after orientation) before any DCT-domain downscaling.</summary>
    public int OriginalWidth { get; }
    /// <summary>Full-resolution height (after orientation) before any DCT-domain downscaling.</summary>
    public int OriginalHeight { get; }
    /// <summary>The detected container format.</summary>
    public ImageFormat Format { get; }
    /// <summary>The EXIF orientation (1–8) that was found and applied; 1 when none or when not applied.</summary>
    public int Orientation { get; }
    /// <summary>True when the source had an alpha channel or transparency that was composited onto the background.</summary>
    public bool HadAlpha { get; }

    /// <summary>Creates an image; <paramref name="pixels"/> must be exactly width × height × 3 bytes.</summary>
    public DecodedImage(int width, int height, byte[] pixels, int originalWidth, int originalHeight,
        ImageFormat format, int orientation = 1, bool hadAlpha = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}", nameof(pixels));
        Width = width; Height = height; Pixels = pixels;
        OriginalWidth = originalWidth; OriginalHeight = originalHeight;
        Format = format; Orientation = orientation; HadAlpha = hadAlpha;
    }

    /// <summary>The RGB triple at (x, y).</summary>
    public Rgb8 GetPixel(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(x), $"({x},{y}) outside {Width}x{Height}");
        var i = ((long)y * Width + x) * 3;
        return new Rgb8(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }
}
