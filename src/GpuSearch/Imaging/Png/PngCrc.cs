// CRC-32 of PNG chunks (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), eight table lookups per
// eight bytes ("slicing by 8"): the chunks of a photo or drawing PNG are a few hundred KB, so this costs a small
// fraction of the inflate it guards, and no package is needed for it.
using System.Runtime.CompilerServices;

namespace GpuSearch.Imaging.Png;

internal static class PngCrc
{
    private static readonly uint[] Tables = Build();

    /// <summary>The CRC of <paramref name="data"/> as a PNG chunk stores it (over type and data).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var t = Tables;
        uint crc = 0xFFFFFFFFu;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = crc ^ (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            uint hi = (uint)(data[i + 4] | data[i + 5] << 8 | data[i + 6] << 16 | data[i + 7] << 24);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + (lo >> 8 & 0xFF)] ^ t[5 * 256 + (lo >> 16 & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + (hi >> 8 & 0xFF)] ^ t[256 + (hi >> 16 & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < data.Length; i++) crc = t[(crc ^ data[i]) & 0xFF] ^ crc >> 8;
        return ~crc;
    }

    private static uint[] Build()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ c >> 1 : c >> 1;
            t[n] = c;
        }
        // Table k advances a byte's CRC by k more zero bytes.
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++)
                t[k * 256 + n] = t[(k - 1) * 256 + n] >> 8 ^ t[t[(k - 1) * 256 + n] & 0xFF];
        return t;
    }
}
