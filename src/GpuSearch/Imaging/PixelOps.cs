// Whole-image pixel operations shared by every format: flattening alpha onto a background and
// applying an EXIF orientation. Both follow PIL so that our pixels match the ones models were trained on.
namespace GpuSearch.Imaging;

internal static class PixelOps
{
    /// <summary>Composites straight-alpha RGBA onto an opaque background with PIL's paste-with-mask arithmetic:
    /// out = DIV255(bg·(255−a) + fg·a), DIV255(x) = ((x+128) + ((x+128)>>8)) >> 8.</summary>
    public static unsafe byte[] FlattenAlpha(ReadOnlySpan<byte> rgba, Rgb8 bg)
    {
        var n = rgba.Length / 4;
        var rgb = GC.AllocateUninitializedArray<byte>(n * 3);
        fixed (byte* s = rgba, d = rgb)
            for (int i = 0; i < n; i++)
            {
                byte* p = s + 4 * i, o = d + 3 * i;
                int a = p[3];
                // Opaque and clear pixels, most of a drawing's, give exactly the colour and the background.
                if (a == 255) { o[0] = p[0]; o[1] = p[1]; o[2] = p[2]; continue; }
                if (a == 0) { o[0] = bg.R; o[1] = bg.G; o[2] = bg.B; continue; }
                int ia = 255 - a;
                o[0] = Blend(bg.R, p[0], a, ia);
                o[1] = Blend(bg.G, p[1], a, ia);
                o[2] = Blend(bg.B, p[2], a, ia);
            }
        return rgb;

        static byte Blend(int b, int f, int a, int ia)
        {
            int t = b * ia + f * a + 128;
            return (byte)(((t >> 8) + t) >> 8);
        }
    }

    /// <summary>Applies EXIF orientation 1–8 to packed RGB (3 bytes per pixel). Orientation n means the stored
    /// image must be transformed as PIL's <c>ImageOps.exif_transpose</c> does: 2 mirror, 3 rotate 180, 4 flip,
    /// 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.</summary>
    public static byte[] Orient(byte[] src, int w, int h, int orientation, out int outW, out int outH)
    {
        bool swap = ExifOrientation.SwapsAxes(orientation);
        outW = swap ? h : w;
        outH = swap ? w : h;
        if (orientation is < 2 or > 8) return src;
        var dst = GC.AllocateUninitializedArray<byte>(src.Length);
        int ow = outW, oh = outH;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // (sx, sy): the stored pixel that lands at output (x, y).
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x), // 8
                };
                int s = (sy * w + sx) * 3, d = (y * ow + x) * 3;
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2];
            }
        }
        return dst;
    }
}
