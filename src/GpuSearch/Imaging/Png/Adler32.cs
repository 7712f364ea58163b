// Adler-32 (RFC 1950), the checksum that ends a zlib stream. The managed PNG path needs it because .NET's
// ZLibStream returns all the data of a stream whose checksum was cut off without saying so, where libpng calls
// such a file truncated; comparing the stored checksum with this one tells the two apart. AVX2 sums 32 bytes a
// step (weights 32..1 through vpmaddubsw, plain sums through vpsadbw); elsewhere it runs byte by byte.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuSearch.Imaging.Png;

internal struct Adler32
{
    private const uint Base = 65521;
    // The most bytes before the sums must be reduced so that s2 cannot pass 2^32 (zlib's NMAX), in whole 32-byte steps.
    private const int Run = 5552 / 32 * 32;

    private uint _a, _b;

    /// <summary>A fresh checksum (of no bytes: 1).</summary>
    public static Adler32 Create() => new() { _a = 1, _b = 0 };

    /// <summary>The checksum of what has been added.</summary>
    public readonly uint Value => _b << 16 | _a;

    /// <summary>Adds <paramref name="data"/>.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, Run);
            var chunk = data[..n];
            int done = Avx2.IsSupported ? AddAvx2(chunk) : 0;
            ulong a = _a, b = _b;
            foreach (var x in chunk[done..]) { a += x; b += a; }
            _a = (uint)(a % Base);
            _b = (uint)(b % Base);
            data = data[n..];
        }
    }

    // Whole 32-byte steps of one run (at most Run bytes); the caller reduces the sums and adds the rest.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe int AddAvx2(ReadOnlySpan<byte> chunk)
    {
        int steps = chunk.Length / 32;
        if (steps == 0) return 0;
        var weights = Vector256.Create((sbyte)32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
            16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        var ones = Vector256.Create((short)1);
        Vector256<uint> sums = default, weighted = default, before = default;
        fixed (byte* p = chunk)
        {
            for (int i = 0; i < steps; i++)
            {
                var v = Avx.LoadVector256(p + 32 * i);
                before += sums; // the bytes summed before this step, each of which this step's 32 add to s2 again
                sums += Avx2.SumAbsoluteDifferences(v, Vector256<byte>.Zero).AsUInt32();
                weighted += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, weights), ones).AsUInt32();
            }
        }
        ulong a = _a, b = _b;
        b += (ulong)steps * 32 * a + 32UL * Vector256.Sum(before) + Vector256.Sum(weighted);
        a += Vector256.Sum(sums);
        _a = (uint)(a % Base);
        _b = (uint)(b % Base);
        return steps * 32;
    }
}
