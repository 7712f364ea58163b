// Reads a Netpbm header (P1–P6: PBM, PGM, PPM, plain and raw) with our own parser, so the size is checked and
// the data length is known before ImageSharp sees the file: width, height and maxval are decimal tokens
// separated by whitespace, with '#' comments to the end of a line, and one whitespace byte before raster data.
namespace GpuSearch.Imaging.Pnm;

internal readonly record struct PnmHeader(int Kind, int Width, int Height, int MaxValue, int DataOffset)
{
    /// <summary>True for P1/P4 (bitmaps), which carry no maxval.</summary>
    public bool IsBitmap => Kind is 1 or 4;

    /// <summary>True for the plain (ASCII) variants P1–P3.</summary>
    public bool IsPlain => Kind <= 3;

    /// <summary>Samples per pixel: 3 for PPM, 1 otherwise.</summary>
    public int Channels => Kind is 3 or 6 ? 3 : 1;

    /// <summary>"P1".."P6" followed by whitespace.</summary>
    public static bool Matches(ReadOnlySpan<byte> d) =>
        d.Length >= 3 && d[0] == (byte)'P' && d[1] is >= (byte)'1' and <= (byte)'6' && IsSpace(d[2]);

    /// <summary>Parses the header; throws <see cref="ImageDecodeException"/> naming <paramref name="name"/>.</summary>
    public static PnmHeader Parse(ReadOnlySpan<byte> d, string name)
    {
        if (!Matches(d)) throw Fail(name, DecodeFailureReason.Corrupt, "no P1-P6 signature");
        int kind = d[1] - '0', pos = 2;
        long w = Number(d, ref pos, name, "width"), h = Number(d, ref pos, name, "height");
        long max = kind is 1 or 4 ? 1 : Number(d, ref pos, name, "maxval");
        if (max is < 1 or > 65535) throw Fail(name, DecodeFailureReason.Corrupt, $"maxval {max} outside 1..65535");
        if (pos >= d.Length) throw Fail(name, DecodeFailureReason.Truncated, "no data after the header");
        if (w > int.MaxValue || h > int.MaxValue) throw Fail(name, DecodeFailureReason.TooLarge, $"{w}x{h}");
        // Exactly one whitespace byte ends the header of a raw file; plain files may have more (the parser skips them).
        return new PnmHeader(kind, (int)w, (int)h, (int)max, pos + 1);
    }

    /// <summary>The fewest bytes the raster can take: exact for raw files; for plain ones one byte per bit (P1,
    /// digits may run together) or a digit and a separator per sample (P2/P3).</summary>
    public long MinDataBytes()
    {
        long samples = checked((long)Width * Height * Channels);
        if (Kind == 1) return samples;
        if (IsPlain) return checked(samples * 2 - 1);
        if (Kind == 4) return checked((Width + 7L) / 8 * Height);
        return checked(samples * (MaxValue > 255 ? 2 : 1));
    }

    /// <summary>For plain files: how many samples the data holds, counting up to <paramref name="limit"/> (decimal
    /// tokens; in P1 every 0/1 digit is a sample). A scan without allocation.</summary>
    public long CountPlainSamples(ReadOnlySpan<byte> d, long limit)
    {
        long n = 0;
        bool inNumber = false;
        for (int i = DataOffset - 1; i < d.Length && n < limit; i++)
        {
            byte b = d[i];
            if (b == (byte)'#') { while (i < d.Length && d[i] != (byte)'\n') i++; inNumber = false; continue; }
            bool digit = b is >= (byte)'0' and <= (byte)'9';
            if (digit && (Kind == 1 || !inNumber)) n++;
            inNumber = digit;
        }
        return n;
    }

    private static long Number(ReadOnlySpan<byte> d, ref int pos, string name, string what)
    {
        while (pos < d.Length && (IsSpace(d[pos]) || d[pos] == (byte)'#'))
        {
            if (d[pos] == (byte)'#') { while (pos < d.Length && d[pos] != (byte)'\n' && d[pos] != (byte)'\r') pos++; }
            else pos++;
        }
        if (pos >= d.Length) throw Fail(name, DecodeFailureReason.Truncated, $"header ends before the {what}");
        long v = 0;
        int start = pos;
        while (pos < d.Length && d[pos] is >= (byte)'0' and <= (byte)'9')
        {
            v = v * 10 + (d[pos++] - '0');
            if (v > 1L << 40) throw Fail(name, DecodeFailureReason.TooLarge, $"{what} has too many digits");
        }
        if (pos == start) throw Fail(name, DecodeFailureReason.Corrupt, $"{what} is not a number");
        if (pos < d.Length && !IsSpace(d[pos]) && d[pos] != (byte)'#') throw Fail(name, DecodeFailureReason.Corrupt, $"junk after the {what}");
        return v;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static ImageDecodeException Fail(string name, DecodeFailureReason r, string detail) => new(name, ImageFormat.Pnm, r, detail);
}
