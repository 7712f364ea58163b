// The intermediate every format decoder returns: packed 8-bit pixels with 3 (RGB) or 4 (RGBA, not
// premultiplied) channels. Alpha compositing and orientation happen once, above the decoders.
namespace GpuSearch.Imaging;

/// <summary>Packed 8-bit pixels as a decoder returns them.</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Channels">3 (RGB) or 4 (RGBA, not premultiplied).</param>
/// <param name="Data">The samples; longer than Width × Height × Channels only when <paramref name="Pooled"/>.</param>
/// <param name="Pooled">Data was rented from <see cref="PixelPool"/> (the decoded image hands it back after upload).</param>
internal readonly record struct PixelBuffer(int Width, int Height, int Channels, byte[] Data, bool Pooled = false)
{
    public bool HasAlpha => Channels == 4;
}
