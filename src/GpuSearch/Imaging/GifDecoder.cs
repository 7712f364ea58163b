// GIF reader for the first frame only (what a thumbnail or an embedding needs), written from the GIF89a
// specification: logical screen, colour tables, graphic control extension (transparency), interlacing.
// Pixels the frame does not cover, and transparent pixels, come out as alpha 0 (composited later).
using System.Buffers.Binary;

namespace GpuSearch.Imaging;

internal static class GifDecoder
{
    public static PixelBuffer Decode(ReadOnlySpan<byte> d, string name, DecodeOptions options)
    {
        var r = new Reader(d, name);
        r.Skip(6); // GIF87a / GIF89a
        int screenW = r.U16(), screenH = r.U16();
        int packed = r.U8();
        r.Skip(2); // background index (browsers ignore it for the canvas) and aspect ratio
        byte[]? global = (packed & 0x80) != 0 ? r.Bytes(3 << ((packed & 7) + 1)).ToArray() : null;

        int transparent = -1;
        while (true)
        {
            int block = r.U8();
            if (block == 0x21) // extension
            {
                int label = r.U8();
                if (label == 0xF9)
                {
                    int size = r.U8();
                    var gce = r.Bytes(size);
                    if (size >= 4 && (gce[0] & 1) != 0) transparent = gce[3];
                }
                r.SkipSubBlocks();
            }
            else if (block == 0x2C) return DecodeFrame(ref r, name, options, screenW, screenH, global, transparent);
            else if (block == 0x3B) throw new ImageDecodeException(name, ImageFormat.Gif, DecodeFailureReason.Corrupt, "no image in file");
            else throw new ImageDecodeException(name, ImageFormat.Gif, DecodeFailureReason.Corrupt, $"unknown block 0x{block:X2}");
        }
    }

    private static PixelBuffer DecodeFrame(ref Reader r, string name, DecodeOptions options, int screenW, int screenH,
        byte[]? global, int transparent)
    {
        int left = r.U16(), top = r.U16(), fw = r.U16(), fh = r.U16();
        int packed = r.U8();
        byte[]? palette = (packed & 0x80) != 0 ? r.Bytes(3 << ((packed & 7) + 1)).ToArray() : global;
        bool interlaced = (packed & 0x40) != 0;
        // A frame that sticks out of the logical screen (or a zero-sized screen) widens the canvas, as browsers do.
        int w = Math.Max(screenW, left + fw), h = Math.Max(screenH, top + fh);
        ImageLimits.Check(name, ImageFormat.Gif, w, h, options);
        if (fw == 0 || fh == 0) throw new ImageDecodeException(name, ImageFormat.Gif, DecodeFailureReason.Corrupt, "empty frame");

        int minCode = r.U8();
        var lzw = r.ConcatSubBlocks(out bool terminated);
        var indices = GC.AllocateUninitializedArray<byte>(fw * fh);
        int got;
        try { got = LzwDecoder.Decode(lzw, minCode, indices); }
        catch (InvalidDataException e) { throw new ImageDecodeException(name, ImageFormat.Gif, DecodeFailureReason.Corrupt, e.Message, e); }
        if (got < indices.Length)
        {
            var reason = terminated ? DecodeFailureReason.Corrupt : DecodeFailureReason.Truncated;
            throw new ImageDecodeException(name, ImageFormat.Gif, reason, $"image data ends after {got} of {indices.Length} pixels");
        }

        var rgba = new byte[checked(w * h * 4)]; // zero = transparent outside the frame
        int colours = palette is null ? 256 : palette.Length / 3;
        for (int row = 0; row < fh; row++)
        {
            int y = top + (interlaced ? InterlacedRow(row, fh) : row);
            int o = (y * w + left) * 4, s = row * fw;
            for (int x = 0; x < fw; x++, o += 4)
            {
                int idx = indices[s + x];
                if (idx == transparent) continue;
                if (palette is null) { rgba[o] = rgba[o + 1] = rgba[o + 2] = (byte)idx; } // no table: grey ramp
                else if (idx < colours) { rgba[o] = palette[3 * idx]; rgba[o + 1] = palette[3 * idx + 1]; rgba[o + 2] = palette[3 * idx + 2]; }
                // an index past the table stays black
                rgba[o + 3] = 255;
            }
        }
        // Most GIFs are opaque: hand those on as RGB so they are not counted as having alpha.
        bool covers = left == 0 && top == 0 && fw == w && fh == h;
        if (covers && (transparent < 0 || indices.AsSpan().IndexOf((byte)transparent) < 0))
        {
            var rgb = GC.AllocateUninitializedArray<byte>(w * h * 3);
            for (int i = 0, n = w * h; i < n; i++) { rgb[3 * i] = rgba[4 * i]; rgb[3 * i + 1] = rgba[4 * i + 1]; rgb[3 * i + 2] = rgba[4 * i + 2]; }
            return new PixelBuffer(w, h, 3, rgb);
        }
        return new PixelBuffer(w, h, 4, rgba);
    }

    /// <summary>Maps the n-th stored row of an interlaced frame to its display row (passes 0/8, 4/8, 2/4, 1/2).</summary>
    internal static int InterlacedRow(int n, int h)
    {
        int p1 = (h + 7) / 8, p2 = (h + 3) / 8, p3 = (h + 1) / 4;
        if (n < p1) return n * 8;
        n -= p1;
        if (n < p2) return 4 + n * 8;
        n -= p2;
        if (n < p3) return 2 + n * 4;
        n -= p3;
        return 1 + n * 2;
    }

    /// <summary>A bounds-checked cursor; running off the end is a truncated file.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, string name)
    {
        private readonly ReadOnlySpan<byte> _d = data;
        private int _pos;

        public int U8() { Need(1); return _d[_pos++]; }
        public int U16() { Need(2); var v = BinaryPrimitives.ReadUInt16LittleEndian(_d[_pos..]); _pos += 2; return v; }
        public void Skip(int n) { Need(n); _pos += n; }
        public ReadOnlySpan<byte> Bytes(int n) { Need(n); var s = _d.Slice(_pos, n); _pos += n; return s; }

        public void SkipSubBlocks()
        {
            int n;
            while ((n = U8()) != 0) Skip(n);
        }

        /// <summary>Joins data sub-blocks; a stream that runs out before its zero terminator is returned as far
        /// as it goes, with <paramref name="terminated"/> false.</summary>
        public byte[] ConcatSubBlocks(out bool terminated)
        {
            var buf = new MemoryStream();
            terminated = false;
            while (_pos < _d.Length)
            {
                int n = _d[_pos++];
                if (n == 0) { terminated = true; break; }
                int take = Math.Min(n, _d.Length - _pos);
                buf.Write(_d.Slice(_pos, take));
                _pos += take;
            }
            return buf.ToArray();
        }

        private readonly void Need(int n)
        {
            if (_pos + n > _d.Length)
                throw new ImageDecodeException(name, ImageFormat.Gif, DecodeFailureReason.Truncated, $"data ends at byte {_d.Length}");
        }
    }
}
