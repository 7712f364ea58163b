// The one exception type every decode failure becomes, whatever the format or library, so callers
// (the decode pipeline above all) can catch exactly this and report the file as failed.
namespace GpuSearch.Imaging;

/// <summary>Why an image could not be decoded.</summary>
public enum DecodeFailureReason
{
    /// <summary>The data has zero length.</summary>
    Empty,
    /// <summary>The data is not any known image format.</summary>
    NotAnImage,
    /// <summary>The data ends before the image is complete.</summary>
    Truncated,
    /// <summary>The data is malformed.</summary>
    Corrupt,
    /// <summary>The image is larger than <see cref="DecodeOptions.MaxPixels"/> (refused before allocating).</summary>
    TooLarge,
    /// <summary>A known format, or a feature of one, that this decoder does not handle (TIFF, 12-bit JPEG, animation...).</summary>
    Unsupported,
    /// <summary>The native library for the format is not installed.</summary>
    LibraryUnavailable,
    /// <summary>The file could not be read.</summary>
    IoError,
    /// <summary>The decode was cancelled.</summary>
    Cancelled,
}

/// <summary>An image could not be decoded; carries the file name, the format and a typed reason.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>The name or path passed to the decoder (used in messages and failure reports).</summary>
    public string Name { get; }
    /// <summary>Alias of <see cref="Name"/> for callers that decode files.</summary>
    public string FilePath => Name;
    /// <summary>The typed reason.</summary>
    public DecodeFailureReason Reason { get; }
    /// <summary>The detected format (<see cref="ImageFormat.Unknown"/> when detection failed).</summary>
    public ImageFormat Format { get; }
    /// <summary>The library's or decoder's own words, without the name/format prefix.</summary>
    public string Detail { get; }

    /// <summary>Creates the exception; the message reads "name: FORMAT reason: detail".</summary>
    public ImageDecodeException(string name, ImageFormat format, DecodeFailureReason reason, string detail, Exception? inner = null)
        : base($"{name}: {(format == ImageFormat.Unknown ? "" : format + " ")}{reason}: {detail}", inner)
    {
        Name = name; Format = format; Reason = reason; Detail = detail;
    }
}
