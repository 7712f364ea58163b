// PBM/PGM/PPM through ImageSharp, after our header check: dimensions against the limits (and the decode-memory
// budget), then the raster length (for plain files, a count of the sample tokens), so a cut file is refused as truncated instead of decoding with a black tail.
using GpuSearch.Imaging.Managed;
using SixLabors.ImageSharp.Formats.Pbm;

namespace GpuSearch.Imaging.Pnm;

internal static class PnmDecoder
{
    private static readonly PbmDecoder Decoder = new();

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options)
    {
        var h = PnmHeader.Parse(data, name);
        ImageLimits.Check(name, ImageFormat.Pnm, h.Width, h.Height, options);
        long have = data.Length - Math.Min(data.Length, h.DataOffset), need = h.MinDataBytes();
        if (have < need)
            throw new ImageDecodeException(name, ImageFormat.Pnm, DecodeFailureReason.Truncated,
                $"P{h.Kind} {h.Width}x{h.Height} needs {(h.IsPlain ? "at least " : "")}{need} data bytes, file has {have}");
        if (h.IsPlain)
        {
            long samples = (long)h.Width * h.Height * h.Channels, got = h.CountPlainSamples(data, samples);
            if (got < samples)
                throw new ImageDecodeException(name, ImageFormat.Pnm, DecodeFailureReason.Truncated,
                    $"P{h.Kind} {h.Width}x{h.Height} needs {samples} samples, file has {got}");
        }
        // PIL scales maxval other than 255 (and 65535's high byte) to 8 bits; ImageSharp 2.1 does not for 8-bit
        // files, so refuse rather than return different pixels than the models were trained on.
        if (!h.IsBitmap && h.MaxValue is not (255 or 65535))
            throw new ImageDecodeException(name, ImageFormat.Pnm, DecodeFailureReason.Unsupported, $"maxval {h.MaxValue} (only 255 and 65535)");
        return ImageSharpDecode.Decode(data, Decoder, name, ImageFormat.Pnm, h.Width, h.Height, alpha: false);
    }
}
