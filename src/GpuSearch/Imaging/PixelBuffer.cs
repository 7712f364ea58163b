// The intermediate every format decoder returns: packed 8-bit pixels with 3 (RGB) or 4 (RGBA, not
// premultiplied) channels. Alpha compositing and orientation happen once, above the decoders.
namespace GpuSearch.Imaging;

internal readonly record struct PixelBuffer(int Width, int Height, int Channels, byte[] Data)
{
    public bool HasAlpha => Channels == 4;
}
