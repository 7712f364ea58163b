// The size checks every decoder runs on header dimensions, before it allocates a pixel buffer,
// so a 60000x60000 header costs nothing but an exception; in a pipeline, also where the decode waits for
// its share of the decode-memory budget.
namespace GpuSearch.Imaging;

internal static class ImageLimits
{
    /// <summary>Throws unless 1 ≤ width, height and width × height ≤ MaxPixels.</summary>
    public static void Check(string name, ImageFormat format, long width, long height, DecodeOptions options)
    {
        if (width <= 0 || height <= 0)
            throw new ImageDecodeException(name, format, DecodeFailureReason.Corrupt, $"invalid dimensions {width}x{height}");
        if (width * height > options.MaxPixels)
            throw new ImageDecodeException(name, format, DecodeFailureReason.TooLarge,
                $"{width}x{height} = {width * height} pixels exceeds MaxPixels {options.MaxPixels}");
        // Managed arrays are limited to ~2^31 elements; RGBA needs 4 bytes per pixel.
        if (width * height * 4 > Array.MaxLength)
            throw new ImageDecodeException(name, format, DecodeFailureReason.TooLarge,
                $"{width}x{height} does not fit one pixel buffer");
        // Inside a decode pipeline: wait for this image's share of the workers' memory budget.
        DecodeMemoryBudget.Reserve(width, height);
    }

    /// <summary>The library-unavailable exception, naming what was tried.</summary>
    public static ImageDecodeException Unavailable(string name, ImageFormat format, string? reason) =>
        new(name, format, DecodeFailureReason.LibraryUnavailable, reason ?? "native library unavailable");
}
