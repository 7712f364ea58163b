// GIF's variable-width LZW decompressor (codes LSB-first, 12-bit maximum, clear and end codes).
// Written from the GIF89a specification. It fills a caller-sized index buffer and stops there, so a
// hostile stream can neither grow memory nor loop: every code either emits at least one pixel or is a
// clear code, and two clear codes in a row with nothing between still consume input bits.
namespace GpuSearch.Imaging;

internal static class LzwDecoder
{
    private const int MaxCodes = 4096;

    /// <summary>Decodes into <paramref name="output"/>; returns how many indices were written (less than the
    /// buffer when the stream ends or hits its end code early). Throws <see cref="InvalidDataException"/>
    /// for a code that cannot occur in a valid stream.</summary>
    public static int Decode(ReadOnlySpan<byte> data, int minCodeSize, Span<byte> output)
    {
        if (minCodeSize is < 1 or > 11) throw new InvalidDataException($"LZW minimum code size {minCodeSize}");
        int clear = 1 << minCodeSize, end = clear + 1;
        Span<ushort> prefix = stackalloc ushort[MaxCodes];
        Span<byte> suffix = stackalloc byte[MaxCodes];
        Span<byte> first = stackalloc byte[MaxCodes];   // first byte of each code's string (for KwKwK)
        Span<ushort> length = stackalloc ushort[MaxCodes];
        for (int i = 0; i < clear; i++) { suffix[i] = (byte)i; first[i] = (byte)i; length[i] = 1; prefix[i] = 0; }

        int codeSize = minCodeSize + 1, next = end + 1, prev = -1, written = 0;
        int bitPos = 0;
        long totalBits = (long)data.Length * 8;
        while (written < output.Length && bitPos + codeSize <= totalBits)
        {
            int code = ReadCode(data, bitPos, codeSize);
            bitPos += codeSize;
            if (code == clear) { codeSize = minCodeSize + 1; next = end + 1; prev = -1; continue; }
            if (code == end) break;
            if (prev < 0)
            {
                if (code >= clear) throw new InvalidDataException($"LZW code {code} before any literal");
                output[written++] = (byte)code;
                prev = code;
                continue;
            }
            int emitFirst;
            if (code < next)
            {
                written += Emit(code, prefix, suffix, length, output[written..]);
                emitFirst = first[code];
            }
            else if (code == next && next < MaxCodes)
            {
                // KwKwK: the code being defined right now is prev's string plus prev's first byte.
                int n = Emit(prev, prefix, suffix, length, output[written..]);
                written += n;
                if (written < output.Length) output[written++] = first[prev];
                emitFirst = first[prev];
            }
            else throw new InvalidDataException($"LZW code {code} beyond table size {next}");

            if (next < MaxCodes)
            {
                prefix[next] = (ushort)prev;
                suffix[next] = (byte)emitFirst;
                first[next] = first[prev];
                length[next] = (ushort)Math.Min(length[prev] + 1, MaxCodes);
                next++;
                // Grow the width when the next code no longer fits; stay at 12 bits once the table is full
                // (the encoder must then send a clear code — "deferred clear" — which we honour when it comes).
                if (next == 1 << codeSize && codeSize < 12) codeSize++;
            }
            prev = code;
        }
        return written;
    }

    // Writes code's string into dst (truncated to dst's length); returns how many bytes were written.
    private static int Emit(int code, ReadOnlySpan<ushort> prefix, ReadOnlySpan<byte> suffix, ReadOnlySpan<ushort> length, Span<byte> dst)
    {
        int len = length[code];
        int n = Math.Min(len, dst.Length);
        // Walk from the last byte back to the first; skip the part that would fall past the buffer.
        for (int i = len - 1; i >= 0; i--)
        {
            if (i < n) dst[i] = suffix[code];
            code = prefix[code];
        }
        return n;
    }

    private static int ReadCode(ReadOnlySpan<byte> d, int bitPos, int size)
    {
        int byteIdx = bitPos >> 3, shift = bitPos & 7;
        int v = d[byteIdx];
        if (byteIdx + 1 < d.Length) v |= d[byteIdx + 1] << 8;
        if (byteIdx + 2 < d.Length) v |= d[byteIdx + 2] << 16;
        return (v >> shift) & ((1 << size) - 1);
    }
}
