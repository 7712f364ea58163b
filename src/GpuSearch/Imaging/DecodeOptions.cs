// Knobs for one decode: limits, alpha background, DCT-domain downscaling, EXIF and JPEG warning policy.
namespace GpuSearch.Imaging;

/// <summary>An 8-bit sRGB colour (used as the background that alpha is composited onto).</summary>
/// <param name="R">Red.</param><param name="G">Green.</param><param name="B">Blue.</param>
public readonly record struct Rgb8(byte R, byte G, byte B)
{
    /// <summary>Opaque white, the default background (what most thumbnailers and PIL pipelines flatten onto).</summary>
    public static Rgb8 White => new(255, 255, 255);
    /// <summary>Opaque black.</summary>
    public static Rgb8 Black => new(0, 0, 0);
}

/// <summary>How TurboJPEG warnings (recoverable libjpeg errors) are treated.</summary>
public enum JpegWarningPolicy
{
    /// <summary>"Premature end of JPEG file" is an error (<see cref="DecodeFailureReason.Truncated"/>); other
    /// warnings, such as extraneous bytes before a marker, are accepted as PIL does. The default.</summary>
    RejectTruncated,
    /// <summary>Every warning is an error (<see cref="DecodeFailureReason.Corrupt"/> or Truncated).</summary>
    Strict,
    /// <summary>Every warning is accepted; missing data decodes as grey, as libjpeg fills it.</summary>
    Lenient,
}

/// <summary>Options for <see cref="ImageDecoder.Decode(ReadOnlySpan{byte}, string, DecodeOptions?)"/>.</summary>
public sealed record DecodeOptions
{
    /// <summary>The shared default instance.</summary>
    public static DecodeOptions Default { get; } = new();

    /// <summary>Images with more pixels (width × height at full resolution) are refused before any pixel buffer
    /// is allocated; the header is read first. Default 100,000,000.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>The colour that transparent pixels are composited onto. Default white.</summary>
    public Rgb8 Background { get; init; } = Rgb8.White;

    /// <summary>When set, JPEGs are downscaled in the DCT domain to the smallest TurboJPEG scaling factor that
    /// keeps both sides (after EXIF orientation) at least this large, like PIL's <c>draft</c>. Other formats
    /// decode at full size. Null (the default) decodes at full size.</summary>
    public (int Width, int Height)? MinTargetSize { get; init; }

    /// <summary>Apply the EXIF orientation tag (JPEG APP1, PNG eXIf, WebP EXIF) so pixels come out upright. Default true.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>How JPEG warnings are treated. Default <see cref="JpegWarningPolicy.RejectTruncated"/>.</summary>
    public JpegWarningPolicy JpegWarnings { get; init; } = JpegWarningPolicy.RejectTruncated;
}
