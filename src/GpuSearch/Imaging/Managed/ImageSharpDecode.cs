// The one place ImageSharp decodes anything. ImageSharp 2.1 has reported flaws with crafted images, so it is
// only ever handed bytes whose header our own parser (Tiff/, Tga/, Pnm/) has read and checked against
// DecodeOptions.MaxPixels and the decode-memory budget; this class only converts its pixels to ours and its
// exceptions to ImageDecodeException.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace GpuSearch.Imaging.Managed;

internal static class ImageSharpDecode
{
    // No pooling: a pipeline's memory is governed by DecodeMemoryBudget, and a pool would keep the largest image's
    // buffers alive after it. One thread: the decode pipeline already runs one decode per worker.
    private static readonly Configuration Config = new()
    {
        MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 0 }),
        MaxDegreeOfParallelism = 1,
        PreferContiguousImageBuffers = true,
    };

    /// <summary>Decodes the first frame to packed RGB (or RGBA when <paramref name="alpha"/>), 8 bits a sample.
    /// With <paramref name="highByte"/> the library decodes to 16 bits a sample and each sample keeps its high byte,
    /// which is what PIL does with 16-bit samples and 16-bit TIFF colour maps (8-bit samples widen exactly, v·257).</summary>
    /// <remarks>Call only after the header was checked (<see cref="ImageLimits.Check"/>); <paramref name="width"/> and
    /// <paramref name="height"/> are what the header said, and a decoder that disagrees is refused.</remarks>
    public static PixelBuffer Decode(ReadOnlySpan<byte> data, IImageDecoder decoder, string name, ImageFormat format,
                                     int width, int height, bool alpha, bool highByte = false)
    {
        try
        {
            if (highByte)
            {
                var wide = alpha ? Copy<Rgba64>(data, decoder, name, format, width, height, 8)
                                 : Copy<Rgb48>(data, decoder, name, format, width, height, 6);
                return HighBytes(wide);
            }
            return alpha ? Copy<Rgba32>(data, decoder, name, format, width, height, 4)
                         : Copy<Rgb24>(data, decoder, name, format, width, height, 3);
        }
        catch (ImageDecodeException) { throw; }
        catch (InvalidImageContentException e) { throw Fail(name, format, TruncationOrCorrupt(e), e); }
        catch (UnknownImageFormatException e) { throw Fail(name, format, DecodeFailureReason.Corrupt, e); }
        catch (ImageFormatException e) { throw Fail(name, format, DecodeFailureReason.Corrupt, e); }
        catch (NotSupportedException e) { throw Fail(name, format, DecodeFailureReason.Unsupported, e); }
        catch (NotImplementedException e) { throw Fail(name, format, DecodeFailureReason.Unsupported, e); }
        catch (InvalidMemoryOperationException e) { throw Fail(name, format, DecodeFailureReason.TooLarge, e); }
        catch (EndOfStreamException e) { throw Fail(name, format, DecodeFailureReason.Truncated, e); }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException
                                    or InvalidDataException or OverflowException or NullReferenceException)
        {
            // A crafted file reaching an unchecked path inside the library: still one typed refusal, never a crash.
            throw Fail(name, format, DecodeFailureReason.Corrupt, e);
        }
    }

    private static PixelBuffer Copy<TPixel>(ReadOnlySpan<byte> data, IImageDecoder decoder, string name, ImageFormat format,
                                            int width, int height, int channels)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = Image.Load<TPixel>(Config, data, decoder);
        if (image.Width != width || image.Height != height)
            throw new ImageDecodeException(name, format, DecodeFailureReason.Corrupt,
                $"decoded {image.Width}x{image.Height}, header says {width}x{height}");
        var buf = GC.AllocateUninitializedArray<byte>(checked(width * height * channels));
        image.Frames.RootFrame.CopyPixelDataTo(buf.AsSpan());
        return new PixelBuffer(width, height, channels, buf);
    }

    // Rgb48/Rgba64 in memory are native-endian ushorts: keep each one's high byte.
    private static PixelBuffer HighBytes(PixelBuffer wide)
    {
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(wide.Data);
        var buf = GC.AllocateUninitializedArray<byte>(samples.Length);
        for (int i = 0; i < samples.Length; i++) buf[i] = (byte)(samples[i] >> 8);
        return new PixelBuffer(wide.Width, wide.Height, wide.Channels / 2, buf);
    }

    private static DecodeFailureReason TruncationOrCorrupt(Exception e) =>
        e.Message.Contains("end of", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not enough", StringComparison.OrdinalIgnoreCase)
            ? DecodeFailureReason.Truncated : DecodeFailureReason.Corrupt;

    private static ImageDecodeException Fail(string name, ImageFormat format, DecodeFailureReason reason, Exception e) =>
        new(name, format, reason, "ImageSharp: " + e.Message, e);
}
