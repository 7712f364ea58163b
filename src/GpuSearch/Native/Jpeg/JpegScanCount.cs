// Counts the scans (SOS markers) of a JPEG by walking its marker structure, so a progressive file with
// thousands of tiny scans (each one a full pass over the coefficient buffer: 20,000 scans took 33 s) is
// refused before decoding. libjpeg-turbo 3 has TJPARAM_SCANLIMIT for this; Debian 12 ships 2.1.5, which
// has no such parameter. Segments are skipped by their lengths (an EXIF thumbnail's SOS is not counted),
// entropy-coded data by its byte stuffing (0xFF00) and restart markers.
using System.Buffers.Binary;

namespace GpuSearch.Native.Jpeg;

internal static class JpegScanCount
{
    /// <summary>Scans found, counting no further than <paramref name="stopAfter"/> + 1.</summary>
    public static int Count(ReadOnlySpan<byte> d, int stopAfter)
    {
        int scans = 0, pos = 2;
        while (pos + 1 < d.Length)
        {
            if (d[pos] != 0xFF) { pos++; continue; }
            byte m = d[pos + 1];
            if (m == 0xFF) { pos++; continue; }
            if (m is 0x00 or 0x01 or (>= 0xD0 and <= 0xD8)) { pos += 2; continue; }
            if (m == 0xD9 || pos + 4 > d.Length) break;
            int len = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 2)..]);
            if (len < 2) break;
            pos += 2 + len;
            if (m != 0xDA) continue;
            if (++scans > stopAfter) break;
            // Entropy-coded data runs to the next marker that is not stuffing, a restart or fill.
            while (pos + 1 < d.Length && !(d[pos] == 0xFF && d[pos + 1] is not (0x00 or 0xFF or (>= 0xD0 and <= 0xD7)))) pos++;
        }
        return scans;
    }
}
