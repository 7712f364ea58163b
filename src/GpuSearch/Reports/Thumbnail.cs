// Downscales RGB8 images for reports with an area-average (box) filter: every source pixel contributes
// to the output pixel its area falls in, which is what a small preview needs (no aliasing, no library).
namespace GpuSearch.Reports;

/// <summary>A small RGB8 image.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Rgb">Interleaved RGB bytes, row-major.</param>
internal sealed record RgbImage(int Width, int Height, byte[] Rgb);

/// <summary>Makes thumbnails that fit inside a square, keeping the aspect ratio.</summary>
internal static class Thumbnail
{
    /// <summary>Scales <paramref name="rgb"/> down so its longer side is at most <paramref name="maxSide"/> (never up).</summary>
    public static RgbImage Fit(ReadOnlySpan<byte> rgb, int width, int height, int maxSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSide);
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes for {width}×{height} RGB, got {rgb.Length}", nameof(rgb));
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        int ow = Math.Max(1, (int)Math.Round(width * scale)), oh = Math.Max(1, (int)Math.Round(height * scale));
        if (ow == width && oh == height) return new RgbImage(width, height, rgb.ToArray());
        var sums = new double[ow * oh * 3];
        var weights = new double[ow * oh];
        double sx = (double)ow / width, sy = (double)oh / height;
        for (int y = 0; y < height; y++)
        {
            int oy = Math.Min(oh - 1, (int)(y * sy));
            for (int x = 0; x < width; x++)
            {
                int ox = Math.Min(ow - 1, (int)(x * sx));
                int o = oy * ow + ox, i = (y * width + x) * 3;
                sums[o * 3] += rgb[i];
                sums[o * 3 + 1] += rgb[i + 1];
                sums[o * 3 + 2] += rgb[i + 2];
                weights[o] += 1;
            }
        }
        var result = new byte[ow * oh * 3];
        for (int o = 0; o < ow * oh; o++)
            for (int c = 0; c < 3; c++)
                result[o * 3 + c] = (byte)Math.Clamp(Math.Round(sums[o * 3 + c] / Math.Max(1, weights[o])), 0, 255);
        return new RgbImage(ow, oh, result);
    }
}
