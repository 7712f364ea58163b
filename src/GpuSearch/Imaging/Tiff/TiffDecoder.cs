// TIFF through ImageSharp, after TiffHeader has checked every frame: ImageSharp 2.1 decodes all of a file's IFDs,
// so the first frame's size goes through ImageLimits.Check and the others are charged against MaxPixels and the
// decode-memory budget too; only the first frame is returned (as PIL opens it). Samples go through 16 bits and keep
// the high byte: TIFF colour maps are 16-bit and PIL takes their high byte, as it does for 16-bit samples.
using GpuSearch.Imaging.Managed;

namespace GpuSearch.Imaging.Tiff;

internal static class TiffDecoder
{
    private static readonly SixLabors.ImageSharp.Formats.Tiff.TiffDecoder Decoder = new();

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options)
    {
        var frames = TiffHeader.Read(data, name);
        var first = frames[0];
        ImageLimits.Check(name, ImageFormat.Tiff, first.Width, first.Height, options);
        long total = 0;
        foreach (var f in frames) total += (long)f.Width * f.Height;
        if (total > options.MaxPixels)
            throw new ImageDecodeException(name, ImageFormat.Tiff, DecodeFailureReason.TooLarge,
                $"{frames.Count} pages with {total} pixels in all exceed MaxPixels {options.MaxPixels} (every page is decoded)");
        DecodeMemoryBudget.Reserve(total - (long)first.Width * first.Height, 1);
        return ImageSharpDecode.Decode(data, Decoder, name, ImageFormat.Tiff, first.Width, first.Height, first.HasAlpha, highByte: true);
    }
}
