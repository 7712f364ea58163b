// BMP reader written from the BITMAPINFOHEADER family's documented layout: OS/2 core and Windows
// info headers (v3/v4/v5), 1/4/8-bit palettes, 16/24/32-bit direct colour with or without bit fields,
// RLE8/RLE4, bottom-up and top-down. Alpha is used only when bit fields name an alpha mask.
using System.Buffers.Binary;
using System.Numerics;

namespace GpuSearch.Imaging;

internal static class BmpDecoder
{
    private const int BiRgb = 0, BiRle8 = 1, BiRle4 = 2, BiBitfields = 3, BiAlphaBitfields = 6;

    public static PixelBuffer Decode(ReadOnlySpan<byte> d, string name, DecodeOptions options)
    {
        if (d.Length < 26) throw Fail(name, DecodeFailureReason.Truncated, "header incomplete");
        uint pixelOffset = U32(d, 10);
        int dib = (int)U32(d, 14);
        if (dib < 12 || 14L + dib > d.Length) throw Fail(name, DecodeFailureReason.Truncated, "DIB header incomplete");
        int w, h, bpp, compression = BiRgb, paletteEntry = 4;
        uint clrUsed = 0;
        uint rMask = 0, gMask = 0, bMask = 0, aMask = 0;
        if (dib == 12)
        {
            w = U16(d, 18); h = (short)U16(d, 20); bpp = U16(d, 24); paletteEntry = 3;
        }
        else
        {
            if (dib < 40) throw Fail(name, DecodeFailureReason.Unsupported, $"DIB header size {dib}");
            w = (int)U32(d, 18); h = (int)U32(d, 22); bpp = U16(d, 28);
            compression = (int)U32(d, 30); clrUsed = U32(d, 46);
            int maskAt = 54; // masks sit right after a 40-byte header, or inside a larger one
            if (compression is BiBitfields or BiAlphaBitfields)
            {
                if (maskAt + 12 > d.Length) throw Fail(name, DecodeFailureReason.Truncated, "bit fields incomplete");
                rMask = U32(d, maskAt); gMask = U32(d, maskAt + 4); bMask = U32(d, maskAt + 8);
                if ((compression == BiAlphaBitfields || dib >= 56) && maskAt + 16 <= d.Length) aMask = U32(d, maskAt + 12);
            }
        }
        bool topDown = h < 0;
        long height = Math.Abs((long)h);
        ImageLimits.Check(name, ImageFormat.Bmp, w, height, options);
        int hh = (int)height;

        int paletteAt = 14 + dib + (dib == 40 && compression == BiBitfields ? 12 : dib == 40 && compression == BiAlphaBitfields ? 16 : 0);
        byte[]? palette = null;
        if (bpp <= 8)
        {
            int max = 1 << bpp;
            int count = clrUsed == 0 || clrUsed > max ? max : (int)clrUsed;
            count = Math.Min(count, Math.Max(0, (d.Length - paletteAt) / paletteEntry));
            palette = new byte[max * 3]; // missing entries stay black
            for (int i = 0; i < count; i++)
            {
                int p = paletteAt + i * paletteEntry;
                palette[3 * i] = d[p + 2]; palette[3 * i + 1] = d[p + 1]; palette[3 * i + 2] = d[p];
            }
        }
        if (pixelOffset >= d.Length) throw Fail(name, DecodeFailureReason.Truncated, "no pixel data");
        var px = d[(int)pixelOffset..];

        switch (compression)
        {
            case BiRle8 when bpp == 8:
            case BiRle4 when bpp == 4:
                return BmpRle.Decode(px, w, hh, bpp, palette!, topDown, name);
            case BiRgb or BiBitfields or BiAlphaBitfields:
                break;
            default:
                throw Fail(name, DecodeFailureReason.Unsupported, $"compression {compression} with {bpp} bits per pixel");
        }
        if (compression == BiRgb)
        {
            if (bpp == 16) { rMask = 0x7C00; gMask = 0x03E0; bMask = 0x001F; }
            else if (bpp is 24 or 32) { rMask = 0xFF0000; gMask = 0xFF00; bMask = 0xFF; }
        }
        if (bpp is not (1 or 2 or 4 or 8 or 16 or 24 or 32)) throw Fail(name, DecodeFailureReason.Unsupported, $"{bpp} bits per pixel");
        if (bpp is 16 or 24 or 32 && (rMask | gMask | bMask) == 0) throw Fail(name, DecodeFailureReason.Corrupt, "empty bit fields");

        long stride = ((long)w * bpp + 31) / 32 * 4;
        if (stride * hh > px.Length) throw Fail(name, DecodeFailureReason.Truncated, $"pixel data has {px.Length} of {stride * hh} bytes");
        bool alpha = aMask != 0;
        int ch = alpha ? 4 : 3;
        var outBuf = GC.AllocateUninitializedArray<byte>(checked(w * hh * ch));
        var r = new Field(rMask); var g = new Field(gMask); var b = new Field(bMask); var a = new Field(aMask);
        for (int y = 0; y < hh; y++)
        {
            var row = px.Slice((int)(stride * y), (int)stride);
            int o = (topDown ? y : hh - 1 - y) * w * ch;
            for (int x = 0; x < w; x++, o += ch)
            {
                if (bpp <= 8)
                {
                    int bit = x * bpp;
                    int idx = (row[bit >> 3] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
                    outBuf[o] = palette![3 * idx]; outBuf[o + 1] = palette[3 * idx + 1]; outBuf[o + 2] = palette[3 * idx + 2];
                    continue;
                }
                uint v = bpp switch
                {
                    16 => BinaryPrimitives.ReadUInt16LittleEndian(row[(x * 2)..]),
                    24 => (uint)(row[x * 3] | row[x * 3 + 1] << 8 | row[x * 3 + 2] << 16),
                    _ => BinaryPrimitives.ReadUInt32LittleEndian(row[(x * 4)..]),
                };
                outBuf[o] = r.Get(v); outBuf[o + 1] = g.Get(v); outBuf[o + 2] = b.Get(v);
                if (alpha) outBuf[o + 3] = a.Get(v);
            }
        }
        return new PixelBuffer(w, hh, ch, outBuf);
    }

    /// <summary>One colour channel described by a bit mask, scaled to 8 bits (v·255/max, truncating, as PIL's
    /// 15/16-bit unpackers do).</summary>
    private readonly struct Field(uint mask)
    {
        private readonly int _shift = mask == 0 ? 0 : BitOperations.TrailingZeroCount(mask);
        private readonly uint _max = mask == 0 ? 0 : mask >> BitOperations.TrailingZeroCount(mask);
        public byte Get(uint v) => _max == 0 ? (byte)0 : _max == 255 ? (byte)((v & mask) >> _shift)
            : (byte)(((v & mask) >> _shift) * 255UL / _max);
    }

    internal static ImageDecodeException Fail(string name, DecodeFailureReason r, string detail) => new(name, ImageFormat.Bmp, r, detail);
    private static uint U32(ReadOnlySpan<byte> d, int o) => BinaryPrimitives.ReadUInt32LittleEndian(d[o..]);
    private static int U16(ReadOnlySpan<byte> d, int o) => BinaryPrimitives.ReadUInt16LittleEndian(d[o..]);
}
