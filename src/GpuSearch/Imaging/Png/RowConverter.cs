// Reconstructed PNG rows to the decoders' packed output, as libpng's simplified API converts them: grey
// replicated to R = G = B, 1/2/4-bit samples scaled to 8 bits (×255, ×85, ×17, exact), palette indices looked up
// as RGB, or as straight RGBA when the file has an alpha table.
using System.Runtime.CompilerServices;

namespace GpuSearch.Imaging.Png;

/// <summary>Converts one reconstructed row; false when the row holds a palette index past the palette's end.</summary>
internal delegate bool RowConversion(ReadOnlySpan<byte> row, Span<byte> output);

internal static class RowConverter
{
    /// <summary>The conversion for a layout whose rows are not already the output (not 8-bit RGB or RGBA).</summary>
    public static RowConversion For(PngLayout layout)
    {
        int width = layout.Width, depth = layout.BitDepth;
        return layout.ColourType switch
        {
            0 => (row, o) => Grey(row, o, width, depth),
            3 when layout.HasAlpha => (row, o) => Palette(row, o, width, depth, layout.Palette!, 4),
            3 => (row, o) => Palette(row, o, width, depth, layout.Palette!, 3),
            4 => GreyAlpha,
            _ => throw new InvalidOperationException($"colour type {layout.ColourType} at {depth} bits has no row conversion"),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool Grey(ReadOnlySpan<byte> row, Span<byte> output, int width, int depth)
    {
        if (output.Length < 3 * width || row.Length < ((long)width * depth + 7) / 8) throw new ArgumentException("row buffers too short");
        fixed (byte* s = row, o = output)
        {
            if (depth == 8)
            {
                for (int x = 0; x < width; x++) o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = s[x];
                return true;
            }
            int scale = 255 / ((1 << depth) - 1);
            for (int x = 0; x < width; x++)
            {
                byte v = (byte)(Sample(s, x, depth) * scale);
                o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = v;
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool GreyAlpha(ReadOnlySpan<byte> row, Span<byte> output)
    {
        int n = row.Length / 2;
        if (output.Length < 4 * n) throw new ArgumentException("output row too short");
        fixed (byte* s = row, o = output)
            for (int x = 0; x < n; x++)
            {
                uint g = s[2 * x];
                *(uint*)(o + 4 * x) = g * 0x010101u | (uint)s[2 * x + 1] << 24; // R, G, B, A in memory order
            }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool Palette(ReadOnlySpan<byte> row, Span<byte> output, int width, int depth, byte[] rgba, int channels)
    {
        int entries = rgba.Length / 4;
        if (output.Length < channels * width || row.Length < ((long)width * depth + 7) / 8) throw new ArgumentException("row buffers too short");
        fixed (byte* s = row, o = output, p = rgba)
        {
            for (int x = 0; x < width; x++)
            {
                int index = depth == 8 ? s[x] : Sample(s, x, depth);
                if (index >= entries) return false;
                byte* e = p + 4 * index, d = o + channels * x;
                d[0] = e[0];
                d[1] = e[1];
                d[2] = e[2];
                if (channels == 4) d[3] = e[3];
            }
        }
        return true;
    }

    // Sample x of a row packed at 1, 2 or 4 bits, the leftmost in the high bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int Sample(byte* row, int x, int depth)
    {
        int perByte = 8 / depth;
        return row[x / perByte] >> (8 - depth * (x % perByte + 1)) & ((1 << depth) - 1);
    }
}
