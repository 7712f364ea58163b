// Hand-built BMP and GIF streams for the managed readers' paths that PIL cannot write and the corpora cover
// thinly: RLE8/RLE4, 16-bit 5-5-5, 32-bit bit fields with alpha, top-down rows, GIF transparency and a
// frame smaller than its screen. Expected pixels are spelled out by hand from the format documents.
using System.Buffers.Binary;
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class BmpAndGifTests
{
    private static readonly byte[] Palette4 = [0, 0, 0, 0, /*red*/ 0, 0, 255, 0, /*green*/ 0, 255, 0, 0, /*blue*/ 255, 0, 0, 0];

    /// <summary>BITMAPFILEHEADER + a 40-byte (or larger) info header + optional extra (masks/palette) + pixels.</summary>
    private static byte[] Bmp(int w, int h, int bpp, int compression, byte[] extra, byte[] pixels, int dibSize = 40, uint[]? v4Masks = null)
    {
        int offset = 14 + dibSize + extra.Length;
        var b = new byte[offset + pixels.Length];
        "BM"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), offset);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), dibSize);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), (short)bpp);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(30), compression);
        if (v4Masks is not null)
            for (int i = 0; i < 4; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(54 + 4 * i), v4Masks[i]);
        extra.CopyTo(b, 14 + dibSize);
        pixels.CopyTo(b, offset);
        return b;
    }

    private static void AssertRow(DecodedImage img, int y, params Rgb8[] expected)
    {
        for (int x = 0; x < expected.Length; x++) Assert.Equal(expected[x], img.GetPixel(x, y));
    }

    private static readonly Rgb8 K = new(0, 0, 0), R = new(255, 0, 0), G = new(0, 255, 0), B = new(0, 0, 255), W = Rgb8.White;

    [Fact]
    public void Rle8_runs_absolute_runs_and_delta()
    {
        // Bottom row: run of 1 red, absolute run of 3 [green, blue, red] padded to 16 bits, end of line.
        // Top row: delta (+2, 0), run of 2 blue, end of bitmap. (Absolute runs need ≥ 3 pixels: 0,2 is the delta escape.)
        byte[] rle = [1, 1, 0, 3, 2, 3, 1, 0, 0, 0, 0, 2, 2, 0, 2, 3, 0, 1];
        var img = ImageDecoder.Decode(Bmp(4, 2, 8, 1, Palette4, rle), "rle8.bmp");
        AssertRow(img, 1, R, G, B, R);
        AssertRow(img, 0, K, K, B, B); // skipped pixels are index 0
    }

    [Fact]
    public void Rle4_nibbles_alternate()
    {
        // Run of 4 alternating red/green (value 0x12), absolute 3 nibbles [3,1,2] padded to 16 bits, end of bitmap.
        byte[] rle = [4, 0x12, 0, 3, 0x31, 0x20, 0, 1];
        var img = ImageDecoder.Decode(Bmp(7, 1, 4, 2, Palette4, rle), "rle4.bmp");
        AssertRow(img, 0, R, G, R, G, B, R, G);
    }

    [Fact]
    public void Bit16_555_and_top_down_rows()
    {
        // 2x2, top-down (negative height): rows stored top first; each row 4 bytes, no padding needed.
        byte[] px = [0xFF, 0x7F, 0x1F, 0x00, /*row 2*/ 0x00, 0x7C, 0xE0, 0x03];
        var img = ImageDecoder.Decode(Bmp(2, -2, 16, 0, [], px), "555.bmp");
        AssertRow(img, 0, W, B);
        AssertRow(img, 1, R, G);
    }

    [Fact]
    public void Bit32_bitfields_with_alpha_are_composited()
    {
        // V4 header (108 bytes) with BI_BITFIELDS masks R,G,B,A; pixels BGRA little-endian.
        byte[] px = [0, 0, 255, 255, /*transparent green*/ 0, 255, 0, 0];
        var img = ImageDecoder.Decode(Bmp(2, 1, 32, 3, [], px, 108, [0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000]), "a32.bmp");
        Assert.True(img.HadAlpha);
        AssertRow(img, 0, R, W);
        var black = ImageDecoder.Decode(Bmp(2, 1, 32, 3, [], px, 108, [0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000]), "a32.bmp",
            new DecodeOptions { Background = Rgb8.Black });
        AssertRow(black, 0, R, K);
    }

    [Fact]
    public void Bmp_pixel_data_cut_short_is_truncated()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(Bmp(4, 4, 24, 0, [], new byte[20]), "short.bmp"));
        Assert.Equal(DecodeFailureReason.Truncated, e.Reason);
    }

    /// <summary>A GIF89a with a 4x2 screen, global palette [red, green, blue, black], a GCE with transparency and one
    /// frame at (1,0) of 2x2 whose LZW stream is written out literally (min code size 2: clear=4, end=5).</summary>
    private static byte[] Gif(bool transparent)
    {
        var bits = new List<int>();
        // Codes (3 bits each while the table holds < 8 entries): clear, 0, 1, 2, 3, end → indices 0,1,2,3.
        foreach (var c in new[] { 4, 0, 1, 2, 3, 5 }) bits.Add(c);
        var data = new List<byte>();
        int acc = 0, n = 0, width = 3, next = 6;
        bool first = true;
        foreach (var c in bits)
        {
            acc |= c << n; n += width;
            while (n >= 8) { data.Add((byte)acc); acc >>= 8; n -= 8; }
            // The decoder adds a table entry for every code after the first literal; widen at 8 entries.
            if (c is not 4 and not 5) { if (!first) next++; first = false; if (next == 1 << width && width < 12) width++; }
        }
        if (n > 0) data.Add((byte)acc);
        var g = new List<byte>();
        g.AddRange("GIF89a"u8.ToArray());
        g.AddRange([4, 0, 2, 0, 0x81, 0, 0]);                  // screen 4x2, global table of 4 entries
        g.AddRange([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]); // red, green, blue, black
        g.AddRange([0x21, 0xF9, 4, (byte)(transparent ? 1 : 0), 0, 0, 2, 0]); // GCE: transparent index 2 (blue)
        g.AddRange([0x2C, 1, 0, 0, 0, 2, 0, 2, 0, 0]);        // frame at (1,0), 2x2, no local table
        g.Add(2);
        g.Add((byte)data.Count); g.AddRange(data); g.Add(0);
        g.Add(0x3B);
        return [.. g];
    }

    [Fact]
    public void Gif_frame_offset_and_transparency()
    {
        var img = ImageDecoder.Decode(Gif(transparent: true), "t.gif");
        Assert.Equal((4, 2), (img.Width, img.Height));
        AssertRow(img, 0, W, R, G, W);   // outside the frame: background
        AssertRow(img, 1, W, W, K, W);   // index 2 is transparent
        var opaque = ImageDecoder.Decode(Gif(transparent: false), "o.gif");
        AssertRow(opaque, 1, W, B, K, W);
    }

    [Fact]
    public void Gif_lzw_garbage_is_corrupt_not_a_crash()
    {
        var g = Gif(true);
        g[^4] ^= 0xFF; // scramble the LZW bytes
        var ex = Record.Exception(() => ImageDecoder.Decode(g, "bad.gif"));
        Assert.True(ex is null or ImageDecodeException, ex?.ToString());
    }

    [Fact]
    public void Animated_webp_is_unsupported()
    {
        var path = Path.Combine(Support.SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "decode", "generated", "anim.webp");
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeFile(path));
        Assert.Equal((ImageFormat.Webp, DecodeFailureReason.Unsupported), (e.Format, e.Reason));
    }

    [SharedFact("testdata/decoders/libjpeg_turbo_testimages/testorig.jpg")]
    public void Dct_scaling_modes()
    {
        var f = Corpus.File("libjpeg_turbo_testimages/testorig.jpg"); // 227x149
        var eighths = ImageDecoder.DecodeFile(f, new DecodeOptions { MinTargetSize = (150, 100) });
        Assert.Equal((171, 112), (eighths.Width, eighths.Height)); // 6/8: 5/8 would give 142 < 150
        Assert.Equal((227, 149), (eighths.OriginalWidth, eighths.OriginalHeight));
        var draft = ImageDecoder.DecodeFile(f, new DecodeOptions { MinTargetSize = (150, 100), DctScaling = JpegDctScaling.PilDraft });
        Assert.Equal((227, 149), (draft.Width, draft.Height));     // PIL: min(227//150, 149//100) = 1
        var tiny = ImageDecoder.DecodeFile(f, new DecodeOptions { MinTargetSize = (10, 10) });
        Assert.Equal((29, 19), (tiny.Width, tiny.Height));         // 1/8 is the smallest factor
    }
}
