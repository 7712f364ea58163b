// Margin trimming (the trademark tool's first step: crop the white paper around a drawing before embedding):
// the spec, the content box, and the scalar reference of the box search. The GPU finds the raw bounding box
// (preprocess_content_box in kernels/preprocess.cl); the rules after it — no content keeps the whole image,
// the minimum size grows the box around its centre inside the image — live here once, for both paths.
namespace GpuSearch.Imaging;

/// <summary>Trim uniform margins before resizing: keep the bounding box of the pixels that differ from a background colour.</summary>
public sealed record TrimSpec
{
    /// <summary>Background colour of the margins, RGB, each an integer 0..255 (white by default).</summary>
    public ChannelValues Background { get; init; } = ChannelValues.All(255);
    /// <summary>A pixel is content when some channel differs from <see cref="Background"/> by more than this (0..254).</summary>
    public int Threshold { get; init; } = 16;
    /// <summary>
    /// Smallest box side in pixels: a smaller box grows around its centre (inside the image) to this size, so a speck
    /// of dust is not blown up to the whole input. An image smaller than this keeps its own side.
    /// </summary>
    public int MinSize { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field (JSON path style).</summary>
    public void Validate()
    {
        for (int i = 0; i < 3; i++)
        {
            var b = Background[i];
            if (!double.IsFinite(b) || b < 0 || b > 255 || b != Math.Floor(b))
                throw new ArgumentException($"Invalid preprocess spec: trim.background[{i}] must be an integer 0..255, got {b}", "trim.background");
        }
        if (Threshold is < 0 or > 254)
            throw new ArgumentException($"Invalid preprocess spec: trim.threshold must be 0..254, got {Threshold}", "trim.threshold");
        if (MinSize is < 1 or > PreprocessSpec.MaxSide)
            throw new ArgumentException($"Invalid preprocess spec: trim.minSize must be 1..{PreprocessSpec.MaxSide}, got {MinSize}", "trim.minSize");
    }
}

/// <summary>The part of a source image that preprocessing reads, in source pixels.</summary>
/// <param name="X">First column.</param>
/// <param name="Y">First row.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
internal readonly record struct ContentBox(int X, int Y, int Width, int Height)
{
    /// <summary>The whole <paramref name="width"/> × <paramref name="height"/> image.</summary>
    public static ContentBox Whole(int width, int height) => new(0, 0, width, height);
}

/// <summary>Content-box rules and the scalar reference of the search.</summary>
internal static class MarginTrim
{
    /// <summary>
    /// The box to read, from the raw bounding box of content pixels (inclusive corners; <paramref name="minX"/> ≥
    /// <paramref name="width"/> when there is no content): the whole image when empty, else the box grown to at least
    /// <see cref="TrimSpec.MinSize"/> per side (capped by the image), centred on the content and shifted inside the image.
    /// </summary>
    public static ContentBox Finish(TrimSpec trim, int width, int height, int minX, int minY, int maxX, int maxY)
    {
        ArgumentNullException.ThrowIfNull(trim);
        if (minX >= width || maxX < minX || maxY < minY || minX < 0 || minY < 0 || maxX >= width || maxY >= height)
            return ContentBox.Whole(width, height);
        var (x, w) = Grow(minX, maxX - minX + 1, trim.MinSize, width);
        var (y, h) = Grow(minY, maxY - minY + 1, trim.MinSize, height);
        return new ContentBox(x, y, w, h);
    }

    private static (int Start, int Length) Grow(int start, int length, int minSize, int limit)
    {
        int target = Math.Min(Math.Max(length, minSize), limit);
        if (target == length) return (start, length);
        int s = start - (target - length) / 2;
        return (Math.Clamp(s, 0, limit - target), target);
    }

    /// <summary>Scalar reference: the content box of an RGB8 image (rows of <c>3 * width</c> bytes).</summary>
    public static ContentBox Find(TrimSpec trim, ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(trim);
        if (rgb.Length != 3L * width * height)
            throw new ArgumentException($"Expected {3L * width * height} bytes of RGB8 for {width}x{height}, got {rgb.Length}", nameof(rgb));
        int minX = width, minY = height, maxX = -1, maxY = -1;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool content = false;
                for (int c = 0; c < 3; c++)
                    content |= Math.Abs(rgb[(y * width + x) * 3 + c] - (int)trim.Background[c]) > trim.Threshold;
                if (!content) continue;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
        return Finish(trim, width, height, minX, minY, maxX, maxY);
    }

    /// <summary>The pixels of <paramref name="box"/> as a tightly packed RGB8 image.</summary>
    public static byte[] Crop(ReadOnlySpan<byte> rgb, int width, ContentBox box)
    {
        var dst = new byte[3L * box.Width * box.Height];
        for (int y = 0; y < box.Height; y++)
            rgb.Slice(((box.Y + y) * width + box.X) * 3, box.Width * 3).CopyTo(dst.AsSpan(y * box.Width * 3));
        return dst;
    }
}
