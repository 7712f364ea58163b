// Finds the EXIF Orientation tag (0x0112) without a general EXIF parser: locate the TIFF structure
// (JPEG APP1 "Exif\0\0", PNG eXIf, WebP EXIF), read IFD0, return 1–8. Anything malformed reads as 1,
// because a broken EXIF block must never make an otherwise good image fail.
using System.Buffers.Binary;

namespace GpuSearch.Imaging;

internal static class ExifOrientation
{
    /// <summary>The orientation in a JPEG's APP1 Exif segment, or 1.</summary>
    public static int FromJpeg(ReadOnlySpan<byte> d)
    {
        int pos = 2; // after SOI
        while (pos + 4 <= d.Length)
        {
            if (d[pos] != 0xFF) return 1;
            byte marker = d[pos + 1];
            if (marker == 0xFF) { pos++; continue; }              // fill bytes
            if (marker is 0xD8 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9) return 1;                  // scan data starts: no EXIF before it
            int len = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 2)..]);
            if (len < 2 || pos + 2 + len > d.Length) return 1;
            var body = d.Slice(pos + 4, len - 2);
            if (marker == 0xE1 && body.StartsWith("Exif\0\0"u8)) return FromTiff(body[6..]);
            pos += 2 + len;
        }
        return 1;
    }

    /// <summary>The orientation in a TIFF-structured EXIF block (optionally prefixed by "Exif\0\0"), or 1.</summary>
    public static int FromTiff(ReadOnlySpan<byte> t)
    {
        if (t.StartsWith("Exif\0\0"u8)) t = t[6..];
        if (t.Length < 8) return 1;
        bool le;
        if (t[0] == (byte)'I' && t[1] == (byte)'I') le = true;
        else if (t[0] == (byte)'M' && t[1] == (byte)'M') le = false;
        else return 1;
        if (U16(t, 2, le) != 42) return 1;
        long ifd = U32(t, 4, le);
        if (ifd < 8 || ifd + 2 > t.Length) return 1;
        int count = U16(t, (int)ifd, le);
        for (int i = 0; i < count; i++)
        {
            long e = ifd + 2 + 12L * i;
            if (e + 12 > t.Length) return 1;
            if (U16(t, (int)e, le) != 0x0112) continue;
            int type = U16(t, (int)e + 2, le);
            // SHORT is what the standard says; some writers use LONG.
            int v = type == 3 ? U16(t, (int)e + 8, le) : type == 4 ? (int)Math.Min(U32(t, (int)e + 8, le), 99) : 1;
            return v is >= 1 and <= 8 ? v : 1;
        }
        return 1;
    }

    /// <summary>True for orientations 5–8, which swap width and height.</summary>
    public static bool SwapsAxes(int orientation) => orientation is >= 5 and <= 8;

    private static int U16(ReadOnlySpan<byte> t, int o, bool le) =>
        le ? BinaryPrimitives.ReadUInt16LittleEndian(t[o..]) : BinaryPrimitives.ReadUInt16BigEndian(t[o..]);

    private static long U32(ReadOnlySpan<byte> t, int o, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(t[o..]) : BinaryPrimitives.ReadUInt32BigEndian(t[o..]);
}
