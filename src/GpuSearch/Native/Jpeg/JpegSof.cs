// Minimal SOFn reader. TurboJPEG 2.x's tjDecompressHeader3 refuses valid files whose chroma subsampling
// has no TJSAMP constant (4:1:0 and other exotic factors: "Could not determine subsampling type"), while
// tjDecompress2 decodes them fine — so for that one case the size and component count come from here.
using System.Buffers.Binary;

namespace GpuSearch.Native.Jpeg;

internal static class JpegSof
{
    /// <summary>Finds the first SOFn segment before the first scan; false when there is none or it is cut.</summary>
    public static bool TryRead(ReadOnlySpan<byte> d, out int width, out int height, out int components)
    {
        width = height = components = 0;
        int pos = 2;
        while (pos + 4 <= d.Length)
        {
            if (d[pos] != 0xFF) return false;
            byte m = d[pos + 1];
            if (m == 0xFF) { pos++; continue; }
            if (m is 0x01 or (>= 0xD0 and <= 0xD8)) { pos += 2; continue; }
            if (m is 0xDA or 0xD9) return false;
            int len = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 2)..]);
            if (len < 2 || pos + 2 + len > d.Length) return false;
            if (m is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (len < 8) return false;
                height = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 7)..]);
                components = d[pos + 9];
                return true;
            }
            pos += 2 + len;
        }
        return false;
    }
}
