// Reads the 18-byte Truevision TGA header with our own parser. TGA has no signature, so detection is a strict
// plausibility check of that header (known image types, consistent colour map and depth, zero reserved bits),
// tried after every format that does have one; the same fields give the size and the raster length that are
// checked before ImageSharp sees the file.
using System.Buffers.Binary;

namespace GpuSearch.Imaging.Tga;

internal readonly record struct TgaHeader(int ImageType, int Width, int Height, int Depth, int AlphaBits,
                                          int ColorMapEntries, int ColorMapEntryBits, int DataOffset)
{
    public const int Size = 18;

    public bool IsRle => ImageType >= 9;

    /// <summary>Bytes per stored pixel (or colour-map index).</summary>
    public int BytesPerPixel => (Depth + 7) / 8;

    /// <summary>Whether the pixels carry alpha: 32-bit pixels or colour-map entries, or alpha bits declared.</summary>
    public bool HasAlpha => Depth == 32 || (ImageType is 1 or 9 && ColorMapEntryBits == 32) || (AlphaBits > 0 && Depth is 16 or 32);

    /// <summary>The header if <paramref name="d"/> starts with a plausible one, else null.</summary>
    public static TgaHeader? TryRead(ReadOnlySpan<byte> d)
    {
        if (d.Length < Size) return null;
        int idLength = d[0], mapType = d[1], type = d[2];
        int mapLength = BinaryPrimitives.ReadUInt16LittleEndian(d[5..]), mapBits = d[7];
        int w = BinaryPrimitives.ReadUInt16LittleEndian(d[12..]), h = BinaryPrimitives.ReadUInt16LittleEndian(d[14..]);
        int depth = d[16], descriptor = d[17];
        if (mapType > 1 || (descriptor & 0xC0) != 0 || w == 0 || h == 0) return null;
        bool mapped = type is 1 or 9;
        if (mapped != (mapType == 1)) return null;
        bool ok = type switch
        {
            1 or 9 => depth == 8 && mapLength > 0 && mapBits is 15 or 16 or 24 or 32,
            2 or 10 => depth is 15 or 16 or 24 or 32 && mapLength == 0,
            3 or 11 => depth is 8 or 16 && mapLength == 0,
            _ => false,
        };
        if (!ok) return null;
        int mapBytes = mapped ? mapLength * ((mapBits + 7) / 8) : 0;
        return new TgaHeader(type, w, h, depth, descriptor & 0x0F, mapped ? mapLength : 0, mapped ? mapBits : 0, Size + idLength + mapBytes);
    }

    /// <summary>For RLE files: whether the packets from <see cref="DataOffset"/> on cover every pixel before the data
    /// ends. A walk over packet headers only (count byte, then one pixel or count pixels), no allocation.</summary>
    public bool RleCoversImage(ReadOnlySpan<byte> d)
    {
        long pixels = (long)Width * Height, pos = DataOffset;
        while (pixels > 0)
        {
            if (pos >= d.Length) return false;
            int head = d[(int)pos], n = (head & 0x7F) + 1;
            pos += 1 + (long)BytesPerPixel * ((head & 0x80) != 0 ? 1 : n);
            pixels -= n;
        }
        return pos <= d.Length;
    }

    /// <summary>The fewest raster bytes: exact when uncompressed; with RLE, one packet of at most 128 pixels
    /// (a count byte and one pixel) per 128 pixels.</summary>
    public long MinDataBytes()
    {
        long pixels = (long)Width * Height;
        return IsRle ? (pixels + 127) / 128 * (1 + BytesPerPixel) : pixels * BytesPerPixel;
    }
}
