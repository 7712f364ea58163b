// Decodes a still WebP (lossy, lossless, with or without alpha) through libwebp into packed RGB or RGBA.
// Animated WebP is refused as unsupported rather than silently decoding one frame of it.
using System.Buffers.Binary;
using GpuSearch.Imaging;

namespace GpuSearch.Native.Webp;

internal static unsafe class WebpDecoder
{
    /// <summary>Why WebP decoding is unavailable, or null when libwebp loaded.</summary>
    public static string? UnavailableReason => WebpApi.UnavailableReason;

    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options)
    {
        if (UnavailableReason is { } why) throw ImageLimits.Unavailable(name, ImageFormat.Webp, why);
        WebpApi.BitstreamFeatures f;
        int status;
        fixed (byte* p = data)
            status = WebpApi.F.GetFeaturesInternal(p, (nuint)data.Length, &f, WebpApi.DecoderAbiVersion);
        if (status != WebpApi.StatusOk)
            throw new ImageDecodeException(name, ImageFormat.Webp, ReasonFor(status, data), $"WebPGetFeatures: {StatusName(status)}");
        if (f.HasAnimation != 0)
            throw new ImageDecodeException(name, ImageFormat.Webp, DecodeFailureReason.Unsupported, "animated WebP is not supported");
        ImageLimits.Check(name, ImageFormat.Webp, f.Width, f.Height, options);

        int ch = f.HasAlpha != 0 ? 4 : 3;
        int stride = checked(f.Width * ch);
        var buf = GC.AllocateUninitializedArray<byte>(checked(stride * f.Height));
        byte* ok;
        fixed (byte* p = data)
        fixed (byte* dst = buf)
            ok = ch == 4
                ? WebpApi.F.DecodeRgbaInto(p, (nuint)data.Length, dst, (nuint)buf.Length, stride)
                : WebpApi.F.DecodeRgbInto(p, (nuint)data.Length, dst, (nuint)buf.Length, stride);
        if (ok == null)
        {
            // The simple API returns only NULL; a RIFF size larger than the data tells truncation apart.
            var reason = DeclaredLongerThanData(data) ? DecodeFailureReason.Truncated : DecodeFailureReason.Corrupt;
            throw new ImageDecodeException(name, ImageFormat.Webp, reason, "WebPDecode failed");
        }
        return new PixelBuffer(f.Width, f.Height, ch, buf);
    }

    /// <summary>The payload of a RIFF "EXIF" chunk, if the file has one (VP8X extended format).</summary>
    public static byte[]? FindExif(ReadOnlySpan<byte> data)
    {
        int pos = 12;
        while (pos + 8 <= data.Length)
        {
            var len = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 4)..]);
            if (len > (uint)(data.Length - pos - 8)) return null;
            if (data.Slice(pos, 4).SequenceEqual("EXIF"u8)) return data.Slice(pos + 8, (int)len).ToArray();
            pos += 8 + (int)len + (int)(len & 1); // chunks are padded to even length
        }
        return null;
    }

    private static bool DeclaredLongerThanData(ReadOnlySpan<byte> data) =>
        data.Length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) + 8L > data.Length;

    private static DecodeFailureReason ReasonFor(int status, ReadOnlySpan<byte> data) => status switch
    {
        WebpApi.StatusNotEnoughData => DecodeFailureReason.Truncated,
        WebpApi.StatusUnsupportedFeature => DecodeFailureReason.Unsupported,
        _ when DeclaredLongerThanData(data) => DecodeFailureReason.Truncated,
        _ => DecodeFailureReason.Corrupt,
    };

    private static string StatusName(int s) => s switch
    {
        WebpApi.StatusOutOfMemory => "VP8_STATUS_OUT_OF_MEMORY",
        WebpApi.StatusInvalidParam => "VP8_STATUS_INVALID_PARAM",
        WebpApi.StatusBitstreamError => "VP8_STATUS_BITSTREAM_ERROR",
        WebpApi.StatusUnsupportedFeature => "VP8_STATUS_UNSUPPORTED_FEATURE",
        WebpApi.StatusSuspended => "VP8_STATUS_SUSPENDED",
        WebpApi.StatusUserAbort => "VP8_STATUS_USER_ABORT",
        WebpApi.StatusNotEnoughData => "VP8_STATUS_NOT_ENOUGH_DATA",
        _ => $"VP8 status {s}",
    };
}
