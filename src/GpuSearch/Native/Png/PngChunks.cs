// Walks PNG chunks in memory without decompressing anything: finds eXIf (EXIF orientation) and drops the
// colour-management chunks before libpng sees them. Why drop them: libpng's simplified API gamma-corrects
// to sRGB whenever gAMA/cHRM/iCCP say the file is not sRGB, while PIL — and therefore the pixels our models
// were trained on — ignores them. Dropping them makes libpng pass sample values through untouched.
using System.Buffers.Binary;
using GpuSearch.Imaging;
using static GpuSearch.Imaging.Png.PngLayout;

namespace GpuSearch.Native.Png;

internal static class PngChunks
{
    private static readonly uint[] ColourChunks =
    [
        Tag("gAMA"), Tag("cHRM"), Tag("sRGB"), Tag("iCCP"),
    ];

    /// <summary>Returns a copy of the data with colour chunks removed, or null when there were none (use the input
    /// as is), and the eXIf payload. Throws Truncated when a chunk runs past the end of the data.</summary>
    public static byte[]? StripColourChunks(ReadOnlySpan<byte> data, string name, out byte[]? exif)
    {
        exif = null;
        const int sig = 8;
        var keep = new List<(int Start, int Length)>();
        bool dropped = false;
        int pos = sig;
        keep.Add((0, sig));
        while (pos + 12 <= data.Length)
        {
            var len = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 4)..]);
            if (len > int.MaxValue || pos + 12 + (long)len > data.Length)
            {
                // A chunk claiming more bytes than the file holds: the file was cut, or the length is garbage.
                // Say so here — libpng would first allocate the claimed size (up to 2 GiB) and only then fail.
                throw new ImageDecodeException(name, ImageFormat.Png, DecodeFailureReason.Truncated,
                    $"chunk at byte {pos} declares {len} bytes but the file ends at {data.Length}");
            }
            int total = 12 + (int)len;
            if (type == Tag("eXIf") && exif is null) exif = data.Slice(pos + 8, (int)len).ToArray();
            if (Array.IndexOf(ColourChunks, type) >= 0) dropped = true;
            else keep.Add((pos, total));
            pos += total;
            if (type == Tag("IEND")) break;
        }
        if (pos < data.Length) keep.Add((pos, data.Length - pos));
        if (!dropped) return null;

        var outBuf = new byte[keep.Sum(k => k.Length)];
        int o = 0;
        foreach (var (s, l) in keep) { data.Slice(s, l).CopyTo(outBuf.AsSpan(o)); o += l; }
        return outBuf;
    }
}
