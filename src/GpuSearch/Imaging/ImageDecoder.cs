// The decoder's front door: detect the format from magic bytes, dispatch to its registered decoder (ImageFormats:
// TurboJPEG, libpng, libwebp, the managed GIF/BMP readers or, after our own header checks, ImageSharp for TIFF, TGA
// and PNM), flatten alpha, apply EXIF orientation. Whatever goes wrong inside comes out as
// ImageDecodeException — a decoder bug surfacing as IndexOutOfRange or the like is wrapped too, because one
// bad file in a million must never take down a batch.
namespace GpuSearch.Imaging;

/// <summary>Decodes JPEG, PNG, WebP, GIF (first frame), BMP, TIFF (first page), TGA and PBM/PGM/PPM into upright RGB8.</summary>
internal static class ImageDecoder
{
    /// <summary>Decodes one image held in memory.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">A name for messages and failure reports (usually the path); never used to guess the format.</param>
    /// <param name="options">Limits and conversions; <see cref="DecodeOptions.Default"/> when null.</param>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, truncated, corrupt, too large or unsupported,
    /// or the format's native library is missing.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data, string name, DecodeOptions? options = null)
    {
        options ??= DecodeOptions.Default;
        name ??= "";
        if (data.IsEmpty) throw new ImageDecodeException(name, ImageFormat.Unknown, DecodeFailureReason.Empty, "no data");
        var entry = ImageFormats.Match(data);
        var format = entry?.Format ?? ImageFormat.Unknown;
        try
        {
            if (entry is null)
                throw new ImageDecodeException(name, format, DecodeFailureReason.NotAnImage,
                    LooksLikeText(data) ? "text, not an image" : "no known image signature");
            var decoded = entry.Decode(data, name, options);
            return Finish(decoded.Pixels, format, options, decoded.Orientation, decoded.FullSize);
        }
        catch (ImageDecodeException) { throw; }
        catch (OutOfMemoryException e)
        {
            throw new ImageDecodeException(name, format, DecodeFailureReason.TooLarge, "out of memory: " + e.Message, e);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidDataException
                                    or DllNotFoundException or EntryPointNotFoundException)
        {
            var reason = e is DllNotFoundException or EntryPointNotFoundException ? DecodeFailureReason.LibraryUnavailable : DecodeFailureReason.Corrupt;
            throw new ImageDecodeException(name, format, reason, e.Message, e);
        }
    }

    /// <summary>Reads and decodes a file; I/O errors become <see cref="DecodeFailureReason.IoError"/>.</summary>
    public static DecodedImage DecodeFile(string path, DecodeOptions? options = null)
    {
        byte[] bytes;
        try { bytes = IO.UntrustedFile.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ImageDecodeException(path, ImageFormat.Unknown, DecodeFailureReason.IoError, e.Message, e);
        }
        return Decode(bytes, path, options);
    }

    /// <summary>Whether a format can be decoded here, and if not, why (e.g. the native library that was not found).</summary>
    public static bool IsAvailable(ImageFormat format, out string? reason)
    {
        reason = ImageFormats.Get(format) is { } entry ? entry.UnavailableReason() : $"{format} is not supported";
        return reason is null;
    }

    private static DecodedImage Finish(PixelBuffer px, ImageFormat format, DecodeOptions options, int orientation, (int W, int H)? full)
    {
        if (!options.ApplyExifOrientation) orientation = 1;
        var rgb = px.HasAlpha ? PixelOps.FlattenAlpha(px.Data, options.Background) : px.Data;
        rgb = PixelOps.Orient(rgb, px.Width, px.Height, orientation, out int w, out int h);
        var (fw, fh) = full ?? (px.Width, px.Height);
        if (ExifOrientation.SwapsAxes(orientation)) (fw, fh) = (fh, fw);
        return new DecodedImage(w, h, rgb, fw, fh, format, orientation, px.HasAlpha);
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> d)
    {
        foreach (var b in d[..Math.Min(d.Length, 64)]) if (b < 9 || b == 0x7F) return false;
        return true;
    }
}
