// Lossless test images: RGB8 pixels written as PNG by ImageSharp (the library's dependency), for tests that need
// files on disk whose decoded pixels are known exactly. Crc32 is for tests that hand-craft broken chunks.
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GpuSearch.Tests.Support;

internal static class TestPng
{
    /// <summary>Encodes <paramref name="rgb"/> (width × height × 3 bytes, row-major) as PNG bytes.</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height)
    {
        using var img = Image.LoadPixelData<Rgb24>(rgb, width, height);
        using var ms = new MemoryStream();
        img.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>Running CRC-32 (ISO-HDLC, as PNG chunks use) without the final inversion.</summary>
    public static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc;
    }
}
