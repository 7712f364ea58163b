// Walks a classic TIFF's IFD chain with our own parser before ImageSharp sees the file. ImageSharp 2.1 decodes
// every IFD as a frame, so the check covers them all: each frame's size, their total against MaxPixels (and the
// decode-memory budget), and that every strip or tile lies inside the file (a cut file is refused as truncated).
// Offsets and counts are 32-bit; all arithmetic on them is in checked longs.
using System.Buffers.Binary;

namespace GpuSearch.Imaging.Tiff;

internal readonly record struct TiffFrame(int Width, int Height, bool HasAlpha);

internal static class TiffHeader
{
    private const int MaxFrames = 64, MaxEntries = 4096;
    private const ushort Width = 256, Height = 257, SamplesPerPixel = 277, ExtraSamples = 338;
    private const ushort StripOffsets = 273, StripByteCounts = 279, TileOffsets = 324, TileByteCounts = 325;

    /// <summary>The frames the file declares, checked; throws <see cref="ImageDecodeException"/> naming <paramref name="name"/>.</summary>
    public static IReadOnlyList<TiffFrame> Read(ReadOnlySpan<byte> d, string name)
    {
        if (d.Length < 8) throw Fail(name, DecodeFailureReason.Truncated, "file ends inside the TIFF header");
        bool le = d[0] == (byte)'I';
        if (U16(d, 2, le) != 42) throw Fail(name, DecodeFailureReason.Unsupported, "not classic TIFF (BigTIFF is not supported)");
        var frames = new List<TiffFrame>();
        var seen = new HashSet<long>();
        long ifd = U32(d, 4, le);
        while (ifd != 0)
        {
            if (frames.Count == MaxFrames) throw Fail(name, DecodeFailureReason.TooLarge, $"more than {MaxFrames} IFDs (pages)");
            if (!seen.Add(ifd)) throw Fail(name, DecodeFailureReason.Corrupt, $"IFD chain loops back to offset {ifd}");
            if (ifd < 8 || ifd + 2 > d.Length) throw Fail(name, DecodeFailureReason.Truncated, $"IFD at offset {ifd} is past the end ({d.Length} bytes)");
            int count = U16(d, (int)ifd, le);
            if (count == 0 || count > MaxEntries) throw Fail(name, DecodeFailureReason.Corrupt, $"IFD with {count} entries");
            long end = checked(ifd + 2 + 12L * count + 4);
            if (end > d.Length) throw Fail(name, DecodeFailureReason.Truncated, $"IFD at offset {ifd} ends past the end of the file");
            frames.Add(ReadFrame(d, (int)ifd + 2, count, le, name, frames.Count));
            ifd = U32(d, (int)end - 4, le);
        }
        return frames;
    }

    private static TiffFrame ReadFrame(ReadOnlySpan<byte> d, int entries, int count, bool le, string name, int index)
    {
        long w = 0, h = 0, samples = 1;
        bool extra = false;
        (long Pos, long Count, int Type) offsets = default, counts = default;
        for (int i = 0; i < count; i++)
        {
            int e = entries + 12 * i;
            ushort tag = U16(d, e, le), type = U16(d, e + 2, le);
            long n = U32(d, e + 4, le);
            switch (tag)
            {
                case Width: w = Scalar(d, e, type, le); break;
                case Height: h = Scalar(d, e, type, le); break;
                case SamplesPerPixel: samples = Scalar(d, e, type, le); break;
                case ExtraSamples: extra = n > 0; break;
                case StripOffsets or TileOffsets: offsets = ValueLocation(d, e, type, n, le, name); break;
                case StripByteCounts or TileByteCounts: counts = ValueLocation(d, e, type, n, le, name); break;
            }
        }
        if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue)
            throw Fail(name, DecodeFailureReason.Corrupt, $"IFD {index}: invalid dimensions {w}x{h}");
        if (offsets.Count == 0) throw Fail(name, DecodeFailureReason.Corrupt, $"IFD {index}: no strip or tile offsets");
        if (counts.Count == offsets.Count)
            for (long k = 0; k < offsets.Count; k++)
            {
                long at = Element(d, offsets, k, le), len = Element(d, counts, k, le);
                if (checked(at + len) > d.Length)
                    throw Fail(name, DecodeFailureReason.Truncated, $"IFD {index}: strip/tile {k} ends at byte {at + len}, file has {d.Length}");
            }
        return new TiffFrame((int)w, (int)h, extra || samples is 2 or >= 4);
    }

    // A SHORT or LONG held in the entry's own value field.
    private static long Scalar(ReadOnlySpan<byte> d, int e, ushort type, bool le) =>
        type == 3 ? U16(d, e + 8, le) : type == 4 ? U32(d, e + 8, le) : -1;

    // Where an array of SHORT/LONG values lives: inline when it fits in 4 bytes, else at the offset, which must be in the file.
    private static (long Pos, long Count, int Type) ValueLocation(ReadOnlySpan<byte> d, int e, ushort type, long n, bool le, string name)
    {
        if (type is not (3 or 4)) throw Fail(name, DecodeFailureReason.Corrupt, $"strip/tile table of field type {type}");
        long size = type == 3 ? 2 : 4, bytes = checked(n * size);
        long pos = bytes <= 4 ? e + 8 : U32(d, e + 8, le);
        if (checked(pos + bytes) > d.Length) throw Fail(name, DecodeFailureReason.Truncated, $"strip/tile table at {pos} ({n} entries) is past the end");
        return (pos, n, type);
    }

    private static long Element(ReadOnlySpan<byte> d, (long Pos, long Count, int Type) t, long k, bool le) =>
        t.Type == 3 ? U16(d, (int)(t.Pos + 2 * k), le) : U32(d, (int)(t.Pos + 4 * k), le);

    private static ushort U16(ReadOnlySpan<byte> d, int o, bool le) =>
        le ? BinaryPrimitives.ReadUInt16LittleEndian(d[o..]) : BinaryPrimitives.ReadUInt16BigEndian(d[o..]);

    private static long U32(ReadOnlySpan<byte> d, int o, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(d[o..]) : BinaryPrimitives.ReadUInt32BigEndian(d[o..]);

    private static ImageDecodeException Fail(string name, DecodeFailureReason r, string detail) => new(name, ImageFormat.Tiff, r, detail);
}
