// Decoded pixels come and go by the megabyte per image. Fresh arrays are fresh pages, which the kernel zeroes on
// first touch, and on VMs that hand freed guest memory back to the host (Firecracker's free page reporting, the CI
// kind) each of those first touches is a host fault too: indexing 256 photos touched ~1 GB of new pages a round
// where ImageSharp + ORT, pooling theirs, touched almost none. Buffers rented here are reused instead.
using System.Buffers;

namespace GpuSearch.Imaging;

/// <summary>Pixel buffers of decoders, rented from <see cref="ArrayPool{T}.Shared"/> (which trims what sits unused).</summary>
internal static class PixelPool
{
    /// <summary>
    /// An array of at least <paramref name="length"/> bytes, contents undefined: the caller writes every byte it
    /// exposes. Lengths above 1 GiB are not pooled by the shared pool; they come fresh and are simply dropped later.
    /// </summary>
    public static byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return length <= MaxPooled ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
    }

    /// <summary>Hands an array from <see cref="Rent"/> back; the caller must not touch it afterwards.</summary>
    public static void Return(byte[] array)
    {
        // The shared pool takes back only power-of-two lengths (its bucket sizes); anything else was never its.
        if (array.Length is > 0 and <= MaxPooled && (array.Length & (array.Length - 1)) == 0)
            ArrayPool<byte>.Shared.Return(array);
    }

    /// <summary>The largest array the shared pool keeps (2^30 bytes).</summary>
    private const int MaxPooled = 1 << 30;
}
