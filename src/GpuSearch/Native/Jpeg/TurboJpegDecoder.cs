// Decodes a JPEG through TurboJPEG into packed RGB: header first (size limit before allocation),
// optional DCT-domain downscaling, CMYK/YCCK converted to RGB the way PIL does, and libjpeg warnings
// sorted into "truncated" versus harmless according to the caller's policy.
using System.Runtime.InteropServices;
using GpuSearch.Imaging;

namespace GpuSearch.Native.Jpeg;

internal static unsafe class TurboJpegDecoder
{
    /// <summary>Why JPEG decoding is unavailable, or null when TurboJPEG loaded.</summary>
    public static string? UnavailableReason => TurboJpegApi.UnavailableReason;

    /// <summary>Reads only the header: full-resolution size and libjpeg colourspace.</summary>
    public static (int Width, int Height, int Colorspace) ReadHeader(TurboJpegHandle h, ReadOnlySpan<byte> data, string name)
    {
        int w, hgt, sub, cs;
        int rc;
        fixed (byte* p = data)
            rc = TurboJpegApi.F.DecompressHeader3(h.DangerousGetHandle(), p, new CULong((nuint)data.Length), &w, &hgt, &sub, &cs);
        if (rc != 0)
        {
            // See JpegSof: exotic subsampling is a header-API limitation, not a bad file.
            if (ErrorText(h).Contains("subsampling", StringComparison.OrdinalIgnoreCase)
                && JpegSof.TryRead(data, out w, out hgt, out int comps) && comps is 1 or 3)
                return (w, hgt, comps == 1 ? 2 : 1); // TJCS_GRAY or TJCS_YCbCr: either decodes to RGB
            throw Failure(h, name, data, "tjDecompressHeader3", headerStage: true);
        }
        return (w, hgt, cs);
    }

    /// <summary>Decodes <paramref name="data"/>; <paramref name="minTarget"/> (already in stored, un-rotated
    /// orientation) picks the DCT scaling factor.</summary>
    public static PixelBuffer Decode(ReadOnlySpan<byte> data, string name, DecodeOptions options,
        (int Width, int Height)? minTarget, out int fullWidth, out int fullHeight)
    {
        if (UnavailableReason is { } why) throw ImageLimits.Unavailable(name, ImageFormat.Jpeg, why);
        using var h = TurboJpegHandle.CreateDecompressor();
        var (w, hgt, cs) = ReadHeader(h, data, name);
        ImageLimits.Check(name, ImageFormat.Jpeg, w, hgt, options);
        if (JpegScanCount.Count(data, options.MaxJpegScans) is var scans && scans > options.MaxJpegScans)
            throw new ImageDecodeException(name, ImageFormat.Jpeg, DecodeFailureReason.TooLarge,
                $"more than {options.MaxJpegScans} scans (MaxJpegScans); refused before decoding");
        fullWidth = w; fullHeight = hgt;

        var factor = PickScale(w, hgt, minTarget, options.DctScaling);
        int sw = TurboJpegApi.Scaled(w, factor), sh = TurboJpegApi.Scaled(hgt, factor);
        // libjpeg cannot convert CMYK/YCCK to RGB itself ("Unsupported color conversion request"):
        // ask for CMYK and convert below.
        var cmyk = cs is TurboJpegApi.ColorspaceCmyk or TurboJpegApi.ColorspaceYcck;
        int bpp = cmyk ? 4 : 3;
        var buf = GC.AllocateUninitializedArray<byte>(checked(sw * sh * bpp));
        int rc;
        fixed (byte* src = data)
        fixed (byte* dst = buf)
            rc = TurboJpegApi.F.Decompress2(h.DangerousGetHandle(), src, new CULong((nuint)data.Length), dst, sw, sw * bpp, sh,
                cmyk ? TurboJpegApi.PixelFormatCmyk : TurboJpegApi.PixelFormatRgb, TurboJpegApi.FlagAccurateDct);
        if (rc != 0 && !WarningAccepted(h, options.JpegWarnings))
            throw Failure(h, name, data, "tjDecompress2", headerStage: false);
        if (cmyk) buf = CmykToRgb(buf);
        return new PixelBuffer(sw, sh, 3, buf);
    }

    /// <summary>Eighths: the smallest-output scaling factor ≤ 1 that keeps both sides ≥ the target (TurboJPEG offers
    /// every n/8, which wastes less resolution than powers of two). PilDraft: PIL's own choice, bit for bit.</summary>
    internal static TurboJpegApi.ScalingFactor PickScale(int w, int h, (int Width, int Height)? target, JpegDctScaling mode)
    {
        var best = new TurboJpegApi.ScalingFactor { Num = 1, Denom = 1 };
        if (target is not { } t || t.Width <= 0 || t.Height <= 0) return best;
        if (mode == JpegDctScaling.PilDraft)
        {
            // PIL: scale = min(w // tw, h // th); the first of 8, 4, 2, 1 that does not exceed it.
            foreach (var d in (ReadOnlySpan<int>)[8, 4, 2, 1])
                if ((long)d * t.Width <= w && (long)d * t.Height <= h) return new TurboJpegApi.ScalingFactor { Num = 1, Denom = d };
            return best;
        }
        int n;
        var factors = TurboJpegApi.F.GetScalingFactors(&n);
        if (factors == null) return best;
        long bestArea = (long)w * h;
        for (int i = 0; i < n; i++)
        {
            var f = factors[i];
            if (f.Num <= 0 || f.Denom <= 0 || f.Num > f.Denom) continue;
            int sw = TurboJpegApi.Scaled(w, f), sh = TurboJpegApi.Scaled(h, f);
            if (sw < t.Width || sh < t.Height) continue;
            if ((long)sw * sh < bestArea) { best = f; bestArea = (long)sw * sh; }
        }
        return best;
    }

    private static bool WarningAccepted(TurboJpegHandle h, JpegWarningPolicy policy)
    {
        if (TurboJpegApi.F.GetErrorCode(h.DangerousGetHandle()) != TurboJpegApi.ErrorWarning) return false;
        return policy switch
        {
            JpegWarningPolicy.Lenient => true,
            JpegWarningPolicy.Strict => false,
            _ => !IsTruncationMessage(ErrorText(h)),
        };
    }

    // libjpeg's JWRN_JPEG_EOF text ("the data ran out"); the 2.x API exposes no warning code, only the last message.
    // Deliberately not JWRN_HIT_MARKER ("Corrupt JPEG data: premature end of data segment"): that is damage inside
    // a complete file, which PIL decodes too, so it falls under "other warnings".
    private static bool IsTruncationMessage(string msg) => msg.Contains("Premature end of JPEG file", StringComparison.Ordinal);

    private static string ErrorText(TurboJpegHandle h)
    {
        var s = TurboJpegApi.F.GetErrorStr2(h.DangerousGetHandle());
        return s == null ? "unknown TurboJPEG error" : Marshal.PtrToStringUTF8((nint)s) ?? "unknown TurboJPEG error";
    }

    private static ImageDecodeException Failure(TurboJpegHandle h, string name, ReadOnlySpan<byte> data, string api, bool headerStage)
    {
        var msg = ErrorText(h);
        DecodeFailureReason reason;
        if (IsTruncationMessage(msg) || (headerStage && !HasStartOfFrame(data))) reason = DecodeFailureReason.Truncated;
        else if (!EndsWithEoi(data) && !msg.Contains("precision", StringComparison.OrdinalIgnoreCase))
            reason = DecodeFailureReason.Truncated; // a failing stream with no EOI marker was most likely cut short
        else if (msg.Contains("Unsupported", StringComparison.OrdinalIgnoreCase) || msg.Contains("precision", StringComparison.OrdinalIgnoreCase)
                 || msg.Contains("not supported", StringComparison.OrdinalIgnoreCase))
            reason = DecodeFailureReason.Unsupported;
        else reason = DecodeFailureReason.Corrupt;
        return new ImageDecodeException(name, ImageFormat.Jpeg, reason, $"{api}: {msg}");
    }

    // EOI (FF D9) at the end, allowing the zero padding some writers append.
    private static bool EndsWithEoi(ReadOnlySpan<byte> d)
    {
        int end = d.Length;
        while (end > 0 && d[end - 1] == 0) end--;
        return end >= 2 && d[end - 2] == 0xFF && d[end - 1] == 0xD9;
    }

    // A header that fails because the data stops before any SOFn marker is a truncation, not corruption.
    private static bool HasStartOfFrame(ReadOnlySpan<byte> d)
    {
        for (int i = 2; i + 1 < d.Length; i++)
            if (d[i] == 0xFF && d[i + 1] is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC) return true;
        return false;
    }

    /// <summary>PIL's conversion: libjpeg hands out Adobe-style inverted CMYK, PIL un-inverts it ("CMYK;I")
    /// and then computes R = (255-K) - (C·(255-K))/255 with its rounding division. Written out on the raw
    /// bytes: nk = rawK, C = 255 - rawC.</summary>
    internal static byte[] CmykToRgb(byte[] cmyk)
    {
        var n = cmyk.Length / 4;
        var rgb = GC.AllocateUninitializedArray<byte>(n * 3);
        for (int i = 0; i < n; i++)
        {
            int nk = cmyk[4 * i + 3];
            rgb[3 * i] = Channel(255 - cmyk[4 * i], nk);
            rgb[3 * i + 1] = Channel(255 - cmyk[4 * i + 1], nk);
            rgb[3 * i + 2] = Channel(255 - cmyk[4 * i + 2], nk);
        }
        return rgb;

        static byte Channel(int c, int nk)
        {
            int t = c * nk + 128;
            int v = nk - (((t >> 8) + t) >> 8);
            return (byte)Math.Clamp(v, 0, 255);
        }
    }
}
