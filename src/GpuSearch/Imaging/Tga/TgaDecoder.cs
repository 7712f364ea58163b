// TGA through ImageSharp, after our header check: dimensions against the limits (and the decode-memory budget)
// and the colour map plus raster length (for RLE, a walk over the packet headers), so a cut file is refused as
// truncated instead of decoding with a black tail.
using GpuSearch.Imaging.Managed;

namespace GpuSearch.Imaging.Tga;

internal static class TgaDecoder
{
    private static readonly SixLabors.ImageSharp.Formats.Tga.TgaDecoder Decoder = new();

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options)
    {
        var h = TgaHeader.TryRead(data)
            ?? throw new ImageDecodeException(name, ImageFormat.Tga, DecodeFailureReason.Corrupt, "not a plausible TGA header");
        ImageLimits.Check(name, ImageFormat.Tga, h.Width, h.Height, options);
        long have = data.Length - (long)h.DataOffset, need = h.MinDataBytes();
        if (have < need)
            throw new ImageDecodeException(name, ImageFormat.Tga, DecodeFailureReason.Truncated,
                $"{h.Width}x{h.Height}x{h.Depth}{(h.IsRle ? " RLE" : "")} needs {(h.IsRle ? "at least " : "")}{need} data bytes after the header and colour map, file has {Math.Max(0, have)}");
        if (h.IsRle && !h.RleCoversImage(data))
            throw new ImageDecodeException(name, ImageFormat.Tga, DecodeFailureReason.Truncated,
                $"RLE packets end before {h.Width}x{h.Height} pixels (file has {data.Length} bytes)");
        return ImageSharpDecode.Decode(data, Decoder, name, ImageFormat.Tga, h.Width, h.Height, h.HasAlpha);
    }
}
