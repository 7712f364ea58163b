// The fast path for the PNGs most files are: 8-bit grey, RGB, grey + alpha and RGBA, and 1–8-bit palettes (with
// or without an alpha table) and greys, not interlaced. It inflates with System.IO.Compression (the zlib-ng .NET
// bundles), where libpng inflates with the system zlib: on drawings and charts, which compress well, that was
// 4.5× the CPU for inflate and half of all PNG decode time (bench/RESULTS.md, "PNG decode"). The output is what
// libpng's simplified API gives for the same file (tests compare the two over every PNG corpus we have): grey
// replicated to RGB, low bit depths scaled to 8 bits, a palette expanded to RGB, or to straight RGBA with tRNS.
// Anything else, and any file that is not clean — a CRC, zlib or filter error, a palette index out of range,
// image data too short or too long — is declined, and libpng decodes it and words the error.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuSearch.Imaging.Png;

internal static class ManagedPngDecoder
{
    /// <summary>
    /// Decodes <paramref name="png"/> when the fast path covers it exactly; false leaves it to libpng. Throws only
    /// what <see cref="ImageLimits.Check"/> throws for the header's dimensions.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> png, string name, DecodeOptions options, out PixelBuffer pixels, out byte[]? exif)
    {
        pixels = default;
        exif = null;
        var layout = PngLayout.TryRead(png);
        if (layout is null) return false;
        // A decline after this point (corrupt data) reserves the decode budget a second time in libpng's path; the
        // scope returns both when the decode ends, and the file is a rare broken one.
        ImageLimits.Check(name, ImageFormat.Png, layout.Width, layout.Height, options);

        var compressed = ArrayPool<byte>.Shared.Rent(layout.IdatBytes);
        int rowBytes = layout.RowBytes;
        var rows = ArrayPool<byte>.Shared.Rent(3 * (rowBytes + 1));
        try
        {
            int at = 0;
            foreach (var (offset, length) in layout.Idat)
            {
                png.Slice(offset, length).CopyTo(compressed.AsSpan(at));
                at += length;
            }
            int channels = layout.HasAlpha ? 4 : 3;
            var output = GC.AllocateUninitializedArray<byte>(checked(layout.Width * layout.Height * channels));
            using var inflate = new ZLibStream(new MemoryStream(compressed, 0, at, writable: false), CompressionMode.Decompress);
            if (at < 6 || !DecodeRows(layout, inflate, rows, output, channels, BinaryPrimitives.ReadUInt32BigEndian(compressed.AsSpan(at - 4)))) return false;
            pixels = new PixelBuffer(layout.Width, layout.Height, channels, output);
            exif = layout.Exif;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            return false; // corrupt or cut zlib data: libpng's turn
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rows);
            ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    private static bool DecodeRows(PngLayout layout, Stream inflate, byte[] rows, byte[] output, int channels, uint storedAdler)
    {
        var adler = Adler32.Create();
        int rowBytes = layout.RowBytes, bpp = layout.FilterBytes, outRow = layout.Width * channels;
        var raw = rows.AsSpan(0, rowBytes + 1);
        var a = rows.AsSpan(rowBytes + 1, rowBytes);
        var b = rows.AsSpan(2 * rowBytes + 1, rowBytes);
        b.Clear(); // the row above the first
        // 8-bit RGB and RGBA rows are the output rows: reconstruct in place, the row above is the output's.
        bool direct = layout.BitDepth == 8 && layout.ColourType is 2 or 6;
        var converter = direct ? null : RowConverter.For(layout);
        for (int y = 0; y < layout.Height; y++)
        {
            inflate.ReadExactly(raw);
            adler.Add(raw);
            var dst = output.AsSpan(y * outRow, outRow);
            if (direct)
            {
                ReadOnlySpan<byte> above = y == 0 ? b : output.AsSpan((y - 1) * outRow, outRow);
                if (!PngFilters.Unfilter(raw[0], raw[1..], dst, above, bpp)) return false;
                continue;
            }
            // a and b take turns as this row and the row above.
            var cur = (y & 1) == 0 ? a : b;
            var prev = (y & 1) == 0 ? b : a;
            if (!PngFilters.Unfilter(raw[0], raw[1..], cur, prev, bpp)) return false;
            if (!converter!(cur, dst)) return false;
        }
        // The zlib stream must end with the image (more data is a file libpng warns about), and with its checksum, which
        // ZLibStream verifies when present but does not require: the IDAT data's last four bytes must be it.
        Span<byte> extra = stackalloc byte[1];
        return inflate.Read(extra) == 0 && adler.Value == storedAdler;
    }
}
