// Alpha flattening against PIL's paste-with-mask arithmetic, every alpha and colour value: the opaque and clear
// shortcuts must give what the formula gives.
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class PixelOpsTests
{
    [Fact]
    public void FlattenAlpha_equals_PILs_DIV255_blend_for_every_alpha_and_colour()
    {
        var bg = new Rgb8(255, 7, 128);
        var rgba = new byte[256 * 256 * 4];
        for (int a = 0; a < 256; a++)
            for (int f = 0; f < 256; f++)
            {
                int i = 4 * (a * 256 + f);
                (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = ((byte)f, (byte)(255 - f), (byte)(f ^ 0x5A), (byte)a);
            }
        var rgb = PixelOps.FlattenAlpha(rgba, bg);
        static int Div255(int x) => ((x + 128) + ((x + 128) >> 8)) >> 8;
        for (int p = 0; p < 256 * 256; p++)
        {
            int a = rgba[4 * p + 3];
            Assert.Equal(Div255(bg.R * (255 - a) + rgba[4 * p] * a), rgb[3 * p]);
            Assert.Equal(Div255(bg.G * (255 - a) + rgba[4 * p + 1] * a), rgb[3 * p + 1]);
            Assert.Equal(Div255(bg.B * (255 - a) + rgba[4 * p + 2] * a), rgb[3 * p + 2]);
        }
    }
}
