// The chunk walk of the managed PNG path: IHDR, PLTE, tRNS, the IDAT run and eXIf, every chunk's CRC checked.
// It accepts only what that path decodes exactly as libpng's simplified API does (see ManagedPngDecoder) and
// only files libpng reads without a warning; anything else — a bad CRC, chunks out of order, an unknown critical
// chunk, 16-bit samples, interlacing, a colour key on grey or RGB — returns null, and libpng decodes the file
// and words its error. Nothing is allocated here but the small palette.
using System.Buffers.Binary;

namespace GpuSearch.Imaging.Png;

internal sealed class PngLayout
{
    public int Width { get; private init; }
    public int Height { get; private init; }
    /// <summary>1, 2, 4 or 8.</summary>
    public int BitDepth { get; private init; }
    /// <summary>0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.</summary>
    public int ColourType { get; private init; }
    /// <summary>Palette entries as RGBA (alpha 255 where tRNS gives none); null unless <see cref="ColourType"/> is 3.</summary>
    public byte[]? Palette { get; private init; }
    /// <summary>Whether the output has an alpha channel (colour types 4 and 6, or a palette with tRNS).</summary>
    public bool HasAlpha { get; private init; }
    /// <summary>The IDAT chunks' data, in order (offset and length in the file).</summary>
    public IReadOnlyList<(int Offset, int Length)> Idat { get; private init; } = [];
    /// <summary>Total bytes of <see cref="Idat"/>.</summary>
    public int IdatBytes { get; private init; }
    /// <summary>The first eXIf chunk's data, or null.</summary>
    public byte[]? Exif { get; private init; }

    public int Channels => ColourType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
    /// <summary>Bytes per complete pixel for the filters (at least 1).</summary>
    public int FilterBytes => Math.Max(1, Channels * BitDepth / 8);
    /// <summary>Bytes of one row without its filter byte.</summary>
    public int RowBytes => (int)(((long)Width * Channels * BitDepth + 7) / 8);

    private static readonly uint Ihdr = Tag("IHDR"), Plte = Tag("PLTE"), Trns = Tag("tRNS"), IdatTag = Tag("IDAT"), Iend = Tag("IEND"), ExifTag = Tag("eXIf");

    /// <summary>The layout of <paramref name="png"/> (signature included), or null when the managed path must not decode it.</summary>
    public static PngLayout? TryRead(ReadOnlySpan<byte> png)
    {
        const int signature = 8;
        int pos = signature;
        int width = 0, height = 0, depth = 0, type = -1;
        byte[]? palette = null, exif = null;
        bool trns = false, idatDone = false;
        var idat = new List<(int, int)>();
        long idatBytes = 0;
        while (true)
        {
            if (pos + 12 > png.Length) return null; // no IEND
            uint len = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (len > int.MaxValue || pos + 12L + len > png.Length) return null;
            var typeAndData = png.Slice(pos + 4, 4 + (int)len);
            if (BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)len)..]) != PngCrc.Compute(typeAndData)) return null;
            uint tag = BinaryPrimitives.ReadUInt32BigEndian(typeAndData);
            var data = typeAndData[4..];
            bool first = pos == signature;
            pos += 12 + (int)len;

            if (first != (tag == Ihdr)) return null;
            if (idat.Count > 0 && tag != IdatTag) idatDone = true;
            if (tag == Ihdr)
            {
                if (len != 13) return null;
                uint w = BinaryPrimitives.ReadUInt32BigEndian(data), h = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue) return null;
                (width, height, depth, type) = ((int)w, (int)h, data[8], data[9]);
                bool depthOk = type switch { 0 or 3 => depth is 1 or 2 or 4 or 8, 2 or 4 or 6 => depth == 8, _ => false };
                if (!depthOk || data[10] != 0 || data[11] != 0 || data[12] != 0) return null; // deflate, filter set 0, no interlace
            }
            else if (tag == Plte)
            {
                if (palette is not null || idat.Count > 0 || trns || len % 3 != 0 || len == 0 || type is 0 or 4) return null;
                int entries = (int)len / 3;
                if (type == 3 && entries > 1 << depth) return null;
                palette = new byte[entries * 4];
                for (int i = 0; i < entries; i++)
                {
                    palette[4 * i] = data[3 * i];
                    palette[4 * i + 1] = data[3 * i + 1];
                    palette[4 * i + 2] = data[3 * i + 2];
                    palette[4 * i + 3] = 255;
                }
            }
            else if (tag == Trns)
            {
                // Only a palette's alpha table; a colour key on grey or RGB goes to libpng.
                if (type != 3 || palette is null || trns || idat.Count > 0 || len == 0 || len > palette.Length / 4) return null;
                for (int i = 0; i < len; i++) palette[4 * i + 3] = data[i];
                trns = true;
            }
            else if (tag == IdatTag)
            {
                if (idatDone || (type == 3 && palette is null)) return null;
                idat.Add((pos - 4 - (int)len, (int)len));
                idatBytes += len;
            }
            else if (tag == Iend)
            {
                if (len != 0 || idat.Count == 0 || idatBytes > int.MaxValue) return null;
                break;
            }
            else if (tag == ExifTag)
            {
                exif ??= data.ToArray();
            }
            else if (!IsAncillary(tag) || !IsLetters(tag))
            {
                return null; // an unknown critical chunk, or a malformed name
            }
        }
        return new PngLayout
        {
            Width = width, Height = height, BitDepth = depth, ColourType = type,
            Palette = type == 3 ? palette : null, HasAlpha = type is 4 or 6 || trns,
            Idat = idat, IdatBytes = (int)idatBytes, Exif = exif,
        };
    }

    private static bool IsAncillary(uint tag) => (tag >> 24 & 0x20) != 0;

    private static bool IsLetters(uint tag)
    {
        for (int s = 0; s < 32; s += 8)
        {
            uint c = tag >> s & 0xFF;
            if (c is not (>= 'A' and <= 'Z' or >= 'a' and <= 'z')) return false;
        }
        return true;
    }

    /// <summary>A chunk type as the big-endian number it is in the file.</summary>
    internal static uint Tag(string s) => (uint)(s[0] << 24 | s[1] << 16 | s[2] << 8 | s[3]);
}
