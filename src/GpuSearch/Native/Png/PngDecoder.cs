// Decodes a PNG into packed RGB or RGBA (straight alpha): the common clean files through the managed fast path
// (Imaging/Png), the rest — and every broken file, so errors keep libpng's words — through libpng's simplified API.
// Sample values follow PIL: no gamma correction (see PngChunks), low bit depths scaled to 8 bits,
// and 16-bit samples reduced by taking the high byte.
using GpuSearch.Imaging;
using GpuSearch.Imaging.Png;

namespace GpuSearch.Native.Png;

internal static unsafe class PngDecoder
{
    /// <summary>Why PNG decoding is unavailable, or null when libpng loaded.</summary>
    public static string? UnavailableReason => PngApi.UnavailableReason;

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options, out byte[]? exif) =>
        ManagedPngDecoder.TryDecode(data, name, options, out var pixels, out exif) ? pixels : DecodeWithLibpng(data, name, options, out exif);

    /// <summary>libpng's decode alone (what the managed path must equal, and what it leaves to libpng).</summary>
    internal static PixelBuffer DecodeWithLibpng(ReadOnlySpan<byte> data, string name, DecodeOptions options, out byte[]? exif)
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
                if (sixteen) return Decode16(&img, name, src, w, h, alpha);

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

    // 16-bit: read as "linear" 16-bit, which with no gAMA and no 16BIT_sRGB flag passes the file's samples
    // through, then keep the high byte exactly as PIL's ";16B" unpackers do. (Asking libpng for 8-bit output
    // instead makes it treat the samples as linear light and re-encode them: up to 12 levels off PIL.)
    // With alpha, linear output is premultiplied; dividing it back out recovers the high byte, exact for opaque
    // pixels and within a level where alpha is small (where the composite barely shows the colour anyway).
    private static PixelBuffer Decode16(PngApi.PngImage* img, string name, ReadOnlySpan<byte> src, int w, int h, bool alpha)
    {
        int ch = alpha ? 4 : 3;
        img->Format = alpha ? PngApi.FormatLinearRgba : PngApi.FormatLinearRgb;
        var wide = GC.AllocateUninitializedArray<ushort>(checked(w * h * ch));
        fixed (ushort* dst = wide)
            if (PngApi.F.FinishRead(img, null, dst, checked(w * ch), null) == 0) // stride counts components
                throw Failure(name, img, src, "png_image_finish_read");
        var buf = GC.AllocateUninitializedArray<byte>(wide.Length);
        if (!alpha)
        {
            for (int i = 0; i < wide.Length; i++) buf[i] = (byte)(wide[i] >> 8);
            return new PixelBuffer(w, h, 3, buf);
        }
        for (int i = 0; i < wide.Length; i += 4)
        {
            uint a = wide[i + 3];
            for (int c = 0; c < 3; c++)
                buf[i + c] = a == 0 ? (byte)0 : (byte)(Math.Min(65535u, (wide[i + c] * 65535u + a / 2) / a) >> 8);
            buf[i + 3] = (byte)(a >> 8);
        }
        return new PixelBuffer(w, h, 4, buf);
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
