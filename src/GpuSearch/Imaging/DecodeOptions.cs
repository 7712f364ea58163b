// Knobs for one decode: limits, alpha background, DCT-domain downscaling, EXIF and JPEG warning policy.
namespace GpuSearch.Imaging;

/// <summary>An 8-bit sRGB colour (used as the background that alpha is composited onto).</summary>
/// <param name="R">Red.</param><param name="G">Green.</param><param name="B">Blue.</param>
internal readonly record struct Rgb8(byte R, byte G, byte B)
{
    /// <summary>Opaque white, the default background (what most thumbnailers and PIL pipelines flatten onto).</summary>
    public static Rgb8 White => new(255, 255, 255);
    /// <summary>Opaque black.</summary>
    public static Rgb8 Black => new(0, 0, 0);
}

/// <summary>How TurboJPEG warnings (recoverable libjpeg errors) are treated.</summary>
internal enum JpegWarningPolicy
{
    /// <summary>"Premature end of JPEG file" is an error (<see cref="DecodeFailureReason.Truncated"/>); other
    /// warnings, such as extraneous bytes before a marker, are accepted as PIL does. The default.</summary>
    RejectTruncated,
    /// <summary>Every warning is an error (<see cref="DecodeFailureReason.Corrupt"/> or Truncated).</summary>
    Strict,
    /// <summary>Every warning is accepted; missing data decodes as grey, as libjpeg fills it.</summary>
    Lenient,
}

/// <summary>Which DCT-domain scaling factors <see cref="DecodeOptions.MinTargetSize"/> may choose.</summary>
internal enum JpegDctScaling
{
    /// <summary>Any factor TurboJPEG offers (n/8): the smallest output that keeps both sides ≥ the target. The default.</summary>
    Eighths,
    /// <summary>Exactly what PIL's <c>Image.draft</c> picks: 1/1, 1/2, 1/4 or 1/8, the largest divisor d with
    /// d·target ≤ size on both sides. Use it to reproduce PIL pipelines that call <c>draft</c> (e.g. <c>thumbnail</c>).</summary>
    PilDraft,
}

/// <summary>Options for <see cref="ImageDecoder.Decode(ReadOnlySpan{byte}, string, DecodeOptions?)"/>.</summary>
internal sealed record DecodeOptions
{
    /// <summary>The shared default instance.</summary>
    public static DecodeOptions Default { get; } = new();

    /// <summary>Images with more pixels (width × height at full resolution) are refused before any pixel buffer
    /// is allocated; the header is read first. Default 100,000,000.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>The colour that transparent pixels are composited onto. Default white.</summary>
    public Rgb8 Background { get; init; } = Rgb8.White;

    /// <summary>When set, JPEGs are downscaled in the DCT domain to the smallest TurboJPEG scaling factor that
    /// keeps both sides (after EXIF orientation) at least this large, as PIL's <c>draft</c> does. Other formats
    /// decode at full size. Null (the default) decodes at full size. See <see cref="DctScaling"/> for the factor set.</summary>
    public (int Width, int Height)? MinTargetSize { get; init; }

    /// <summary>The factor set <see cref="MinTargetSize"/> chooses from. Default <see cref="JpegDctScaling.Eighths"/>.</summary>
    public JpegDctScaling DctScaling { get; init; } = JpegDctScaling.Eighths;

    /// <summary>Apply the EXIF orientation tag (JPEG APP1, PNG eXIf, WebP EXIF) so pixels come out upright. Default true.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>JPEGs with more scans than this are refused (<see cref="DecodeFailureReason.TooLarge"/>) before decoding:
    /// each progressive scan is a pass over the whole image, so thousands of tiny scans make a small file cost
    /// tens of seconds. Real files have at most a few dozen. Default 1000.</summary>
    public int MaxJpegScans { get; init; } = 1000;

    /// <summary>How JPEG warnings are treated. Default <see cref="JpegWarningPolicy.RejectTruncated"/>.</summary>
    public JpegWarningPolicy JpegWarnings { get; init; } = JpegWarningPolicy.RejectTruncated;
}
