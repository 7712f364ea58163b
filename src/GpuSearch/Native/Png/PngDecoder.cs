// Decodes a PNG through libpng's simplified API into packed RGB or RGBA (straight alpha).
// Sample values follow PIL: no gamma correction (see PngChunks), low bit depths scaled to 8 bits,
// and 16-bit samples reduced by taking the high byte.
using GpuSearch.Imaging;

namespace GpuSearch.Native.Png;

internal static unsafe class PngDecoder
{
    /// <summary>Why PNG decoding is unavailable, or null when libpng loaded.</summary>
    public static string? UnavailableReason => PngApi.UnavailableReason;

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options, out byte[]? exif)
    {
        if (UnavailableReason is { } why) throw ImageLimits.Unavailable(name, ImageFormat.Png, why);
        var stripped = PngChunks.StripColourChunks(data, name, out exif);
        ReadOnlySpan<byte> src = stripped ?? data;

        PngApi.PngImage img = default;
        img.Version = PngApi.ImageVersion;
        try
        {
            fixed (byte* p = src)
            {
                if (PngApi.F.BeginReadFromMemory(&img, p, (nuint)src.Length) == 0)
                    throw Failure(name, &img, src, "png_image_begin_read_from_memory");
                ImageLimits.Check(name, ImageFormat.Png, img.Width, img.Height, options);

                bool alpha = (img.Format & PngApi.FormatFlagAlpha) != 0;
                bool sixteen = (img.Format & PngApi.FormatFlagLinear) != 0;
                int w = (int)img.Width, h = (int)img.Height;
                if (sixteen && !alpha) return Decode16(&img, name, src, w, h);

                // 8-bit output. For 16-bit files with alpha, declaring the samples sRGB keeps libpng from
                // treating them as linear light (it then only scales 16→8, within 1 of PIL's high byte).
                if (sixteen) img.Flags |= PngApi.ImageFlag16BitSrgb;
                img.Format = alpha ? PngApi.FormatRgba : PngApi.FormatRgb;
                int ch = alpha ? 4 : 3;
                var buf = GC.AllocateUninitializedArray<byte>(checked(w * h * ch));
                fixed (byte* dst = buf)
                    if (PngApi.F.FinishRead(&img, null, dst, checked(w * ch), null) == 0)
                        throw Failure(name, &img, src, "png_image_finish_read");
                return new PixelBuffer(w, h, ch, buf);
            }
        }
        finally
        {
            PngApi.F.Free(&img); // safe after an error (libpng already freed it) and when opaque is NULL
        }
    }

    // 16-bit without alpha: read as "linear" 16-bit, which with no gAMA and no 16BIT_sRGB flag is a plain
    // pass-through of the file's samples, then keep the high byte exactly as PIL's ";16B" unpackers do.
    private static PixelBuffer Decode16(PngApi.PngImage* img, string name, ReadOnlySpan<byte> src, int w, int h)
    {
        img->Format = PngApi.FormatLinearRgb;
        var wide = GC.AllocateUninitializedArray<ushort>(checked(w * h * 3));
        fixed (ushort* dst = wide)
            if (PngApi.F.FinishRead(img, null, dst, checked(w * 3), null) == 0) // stride counts components
                throw Failure(name, img, src, "png_image_finish_read");
        var buf = GC.AllocateUninitializedArray<byte>(wide.Length);
        for (int i = 0; i < wide.Length; i++) buf[i] = (byte)(wide[i] >> 8);
        return new PixelBuffer(w, h, 3, buf);
    }

    private static ImageDecodeException Failure(string name, PngApi.PngImage* img, ReadOnlySpan<byte> data, string api)
    {
        var msg = PngApi.MessageOf(img);
        if (string.IsNullOrEmpty(msg)) msg = "unknown libpng error";
        var reason = IsTruncation(msg, data) ? DecodeFailureReason.Truncated
            : msg.Contains("unsupported", StringComparison.OrdinalIgnoreCase) ? DecodeFailureReason.Unsupported
            : DecodeFailureReason.Corrupt;
        return new ImageDecodeException(name, ImageFormat.Png, reason, $"{api}: {msg}");
    }

    // libpng says "Read Error" (memory reader ran dry) or "Not enough image data" when the stream stops early;
    // a file without IEND at its end has been cut as well.
    private static bool IsTruncation(string msg, ReadOnlySpan<byte> data) =>
        msg.Contains("Read Error", StringComparison.OrdinalIgnoreCase)
        || msg.Contains("Not enough image data", StringComparison.OrdinalIgnoreCase)
        || msg.Contains("end of", StringComparison.OrdinalIgnoreCase)
        || (data.Length >= 8 && data.IndexOf("IEND"u8) < 0);
}
