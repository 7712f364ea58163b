// Run-length decoding for BMP (RLE8 and RLE4), from the documented escape codes: 0,0 end of line,
// 0,1 end of bitmap, 0,2 dx,dy delta, 0,n absolute run (padded to 16 bits). Pixels never written stay
// index 0, which is what Windows and PIL show for skipped areas.
namespace GpuSearch.Imaging;

internal static class BmpRle
{
    public static PixelBuffer Decode(ReadOnlySpan<byte> src, int w, int h, int bpp, byte[] palette, bool topDown, string name)
    {
        var idx = new byte[checked(w * h)];
        int x = 0, y = 0, p = 0;
        bool ended = false;
        while (p + 1 < src.Length && y < h)
        {
            int count = src[p], val = src[p + 1];
            p += 2;
            if (count > 0)
            {
                for (int i = 0; i < count; i++, x++)
                    if (x < w) idx[y * w + x] = (byte)(bpp == 8 ? val : (i & 1) == 0 ? val >> 4 : val & 15);
                continue;
            }
            switch (val)
            {
                case 0: x = 0; y++; break;
                case 1: ended = true; break;
                case 2:
                    if (p + 1 >= src.Length) throw BmpDecoder.Fail(name, DecodeFailureReason.Truncated, "RLE delta incomplete");
                    x += src[p]; y += src[p + 1]; p += 2;
                    break;
                default:
                    int bytes = bpp == 8 ? val : (val + 1) / 2;
                    if (p + bytes > src.Length) throw BmpDecoder.Fail(name, DecodeFailureReason.Truncated, "RLE run incomplete");
                    for (int i = 0; i < val; i++, x++)
                    {
                        int v = bpp == 8 ? src[p + i] : (i & 1) == 0 ? src[p + i / 2] >> 4 : src[p + i / 2] & 15;
                        if (x < w && y < h) idx[y * w + x] = (byte)v;
                    }
                    p += (bytes + 1) & ~1;
                    break;
            }
            if (ended) break;
        }
        if (!ended && y < h) throw BmpDecoder.Fail(name, DecodeFailureReason.Truncated, "RLE data ends before the image does");

        var rgb = GC.AllocateUninitializedArray<byte>(checked(w * h * 3));
        for (int row = 0; row < h; row++)
        {
            int o = (topDown ? row : h - 1 - row) * w * 3;
            for (int c = 0; c < w; c++, o += 3)
            {
                int i = idx[row * w + c];
                rgb[o] = palette[3 * i]; rgb[o + 1] = palette[3 * i + 1]; rgb[o + 2] = palette[3 * i + 2];
            }
        }
        return new PixelBuffer(w, h, 3, rgb);
    }
}
