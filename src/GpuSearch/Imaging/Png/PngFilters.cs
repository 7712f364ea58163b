// PNG's five row filters undone (PNG spec §9, filter method 0): each byte is stored as the difference from a
// prediction out of the byte to its left (a, one pixel back), above (b) and above-left (c).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuSearch.Imaging.Png;

internal static unsafe class PngFilters
{
    /// <summary>
    /// Reconstructs one row into <paramref name="cur"/> from its filtered bytes <paramref name="raw"/> and the
    /// reconstructed row above (<paramref name="prev"/>, all zero for the first row); <paramref name="bpp"/> is
    /// bytes per complete pixel, at least 1. Returns false for a filter type other than 0–4.
    /// </summary>
    public static bool Unfilter(int filter, ReadOnlySpan<byte> raw, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp)
    {
        int n = cur.Length;
        if (raw.Length < n || prev.Length < n || bpp < 1) throw new ArgumentException("row buffers shorter than the row");
        fixed (byte* x = raw, r = cur, b = prev)
        {
            switch (filter)
            {
                case 0: Buffer.MemoryCopy(x, r, n, n); return true;
                case 1: Sub(x, r, n, bpp); return true;
                case 2: Up(x, r, b, n); return true;
                case 3: Average(x, r, b, n, bpp); return true;
                case 4: Paeth(x, r, b, n, bpp); return true;
                default: return false;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no unoptimised first tier for the first images
    private static void Sub(byte* x, byte* r, int n, int bpp)
    {
        int i = 0;
        for (; i < bpp && i < n; i++) r[i] = x[i];
        if (bpp is 3 or 4)
        {
            // A pixel's channels at once: each pixel still waits for the one before.
            var a = Widen(r);
            for (; i + 4 <= n; i += bpp)
            {
                a = (Widen(x + i) + a) & Vector128.Create((ushort)0xFF);
                Store(a, r + i);
            }
        }
        if (bpp == 1 && i < n)
        {
            // The byte to the left stays in a register: read back from memory, each byte would wait on the store before it.
            int a = r[i - 1];
            for (; i < n; i++) r[i] = (byte)(a = (x[i] + a) & 0xFF);
        }
        for (; i < n; i++) r[i] = (byte)(x[i] + r[i - bpp]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Up(byte* x, byte* r, byte* b, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32) Vector256.Store(Vector256.Load(x + i) + Vector256.Load(b + i), r + i);
        for (; i + 16 <= n; i += 16) Vector128.Store(Vector128.Load(x + i) + Vector128.Load(b + i), r + i);
        for (; i < n; i++) r[i] = (byte)(x[i] + b[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Average(byte* x, byte* r, byte* b, int n, int bpp)
    {
        int i = 0;
        for (; i < bpp && i < n; i++) r[i] = (byte)(x[i] + (b[i] >> 1));
        if (bpp is 3 or 4)
        {
            var a = Widen(r);
            for (; i + 4 <= n; i += bpp)
            {
                a = (Widen(x + i) + ((a + Widen(b + i)) >> 1)) & Vector128.Create((ushort)0xFF);
                Store(a, r + i);
            }
        }
        if (bpp == 1 && i < n)
        {
            int a = r[i - 1];
            for (; i < n; i++) r[i] = (byte)(a = (x[i] + ((a + b[i]) >> 1)) & 0xFF);
        }
        for (; i < n; i++) r[i] = (byte)(x[i] + ((r[i - bpp] + b[i]) >> 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Paeth(byte* x, byte* r, byte* b, int n, int bpp)
    {
        int i = 0;
        // With a = c = 0 the predictor is b.
        for (; i < bpp && i < n; i++) r[i] = (byte)(x[i] + b[i]);
        if (bpp is 3 or 4)
        {
            var a = Widen(r).AsInt16();
            var c = Widen(b).AsInt16();
            for (; i + 4 <= n; i += bpp)
            {
                var up = Widen(b + i).AsInt16();
                var pa = Vector128.Abs(up - c);
                var pb = Vector128.Abs(a - c);
                var pc = Vector128.Abs(a + up - c - c);
                var useA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
                var pred = Vector128.ConditionalSelect(useA, a, Vector128.ConditionalSelect(Vector128.LessThanOrEqual(pb, pc), up, c));
                a = (Widen(x + i).AsInt16() + pred) & Vector128.Create((short)0xFF);
                Store(a.AsUInt16(), r + i);
                c = up;
            }
        }
        if (bpp == 1 && i < n)
        {
            int a = r[i - 1], c = b[i - 1];
            for (; i < n; i++)
            {
                int up = b[i];
                r[i] = (byte)(a = (x[i] + Predict(a, up, c)) & 0xFF);
                c = up;
            }
        }
        for (; i < n; i++) r[i] = (byte)(x[i] + Predict(r[i - bpp], b[i], b[i - bpp]));
    }

    // The four bytes at p as the low four 16-bit lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Widen(byte* p) => Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(p)).AsByte());

    // The low four lanes (each 0–255) as four bytes at p; with 3-byte pixels the fourth is the next pixel's first,
    // written again by that pixel (the loops stop four bytes before the row's end).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<ushort> v, byte* p) => Unsafe.WriteUnaligned(p, Vector128.Narrow(v, v).AsUInt32().ToScalar());

    // Branch-free: on photographs the choice is close to random, and a mispredicted branch per byte costs more than this.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Predict(int a, int b, int c)
    {
        int pa = Abs(b - c), pb = Abs(a - c), pc = Abs(a + b - 2 * c);
        int notA = ((pb - pa) | (pc - pa)) >> 31; // all ones when pa > pb or pa > pc
        int notB = (pc - pb) >> 31;               // all ones when pb > pc
        int bc = b ^ ((b ^ c) & notB);
        return a ^ ((a ^ bc) & notA);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Abs(int v)
    {
        int sign = v >> 31;
        return (v ^ sign) - sign;
    }
}
