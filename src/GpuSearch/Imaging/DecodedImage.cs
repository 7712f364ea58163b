// The result of a decode: upright RGB8 pixels plus what the caller needs to know about where they came from.
namespace GpuSearch.Imaging;

/// <summary>A decoded image: interleaved 8-bit RGB, rows top to bottom, no padding, EXIF orientation applied.</summary>
public sealed class DecodedImage
{
    /// <summary>Width in pixels of <see cref="Pixels"/>.</summary>
    public int Width { get; }
    /// <summary>Height in pixels of <see cref="Pixels"/>.</summary>
    public int Height { get; }
    private readonly byte[] _pixels;
    /// <summary>RGB bytes, <c>Width * Height * 3</c> long (read-only: the image owns its buffer).</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;
    /// <summary>The buffer itself, for the decoders and the preprocessor that fill and upload it.</summary>
    internal byte[] PixelArray => _pixels;
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

    /// <summary>
    /// An image from pixels the caller decoded (a camera frame, another library's bitmap): interleaved 8-bit RGB, rows
    /// top to bottom, no padding. The bytes are copied, so the caller may reuse its buffer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A width or height that is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> is not exactly width × height × 3 bytes.</exception>
    public DecodedImage(int width, int height, ReadOnlySpan<byte> rgb)
        : this(width, height, CopyOf(width, height, rgb), width, height, ImageFormat.Unknown)
    {
    }

    private static byte[] CopyOf(int width, int height, ReadOnlySpan<byte> rgb)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {rgb.Length}", nameof(rgb));
        return rgb.ToArray();
    }

    /// <summary>Wraps a decoder's buffer without copying; <paramref name="pixels"/> must be exactly width × height × 3 bytes.</summary>
    internal DecodedImage(int width, int height, byte[] pixels, int originalWidth, int originalHeight,
        ImageFormat format, int orientation = 1, bool hadAlpha = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}", nameof(pixels));
        Width = width; Height = height; _pixels = pixels;
        OriginalWidth = originalWidth; OriginalHeight = originalHeight;
        Format = format; Orientation = orientation; HadAlpha = hadAlpha;
    }

    /// <summary>
    /// The engine whose model this image's size was checked against when it decoded it (ImageSearchEngine.Decode), so
    /// embedding it there submits without checking again; null for images made or decoded elsewhere.
    /// </summary>
    internal object? SizeCheckedBy { get; set; }

    /// <summary>The RGB triple at (x, y).</summary>
    internal Rgb8 GetPixel(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(x), $"({x},{y}) outside {Width}x{Height}");
        var i = ((long)y * Width + x) * 3;
        return new Rgb8(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
    }
}
