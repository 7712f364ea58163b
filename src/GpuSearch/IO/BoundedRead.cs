// Reading an encoded image that arrives as a Stream (an upload, a blob) or a file: the length limit is checked
// before the whole thing is allocated, so a 50 GB body or a file that never ends costs one refused read, not memory.
using System.Buffers;
using GpuSearch.Imaging;

namespace GpuSearch.IO;

internal static class BoundedRead
{
    private const int ChunkBytes = 81920;

    /// <summary>
    /// The rest of <paramref name="stream"/> (from its position) as one array. A seekable stream longer than
    /// <paramref name="maxBytes"/> is refused before anything is read; another is read in chunks and refused as soon as
    /// it passes the limit, holding at most limit + one chunk.
    /// </summary>
    /// <exception cref="ImageDecodeException">Longer than the limit (<see cref="DecodeFailureReason.TooLarge"/>) or a read error (<see cref="DecodeFailureReason.IoError"/>).</exception>
    public static async Task<byte[]> ReadAsync(Stream stream, long maxBytes, string name, CancellationToken ct)
    {
        long limit = Math.Min(maxBytes, Array.MaxLength);
        try
        {
            if (stream.CanSeek)
            {
                long left = Math.Max(0, stream.Length - stream.Position);
                if (left > limit) throw TooLarge(name, $"the stream holds {left} bytes", limit);
                var all = new byte[left];
                await stream.ReadExactlyAsync(all, ct).ConfigureAwait(false);
                return all;
            }
            var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                using var buffer = new MemoryStream();
                int n;
                while ((n = await stream.ReadAsync(chunk.AsMemory(0, ChunkBytes), ct).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + n > limit) throw TooLarge(name, $"the stream holds more than {limit} bytes", limit);
                    buffer.Write(chunk, 0, n);
                }
                return buffer.ToArray();
            }
            finally { ArrayPool<byte>.Shared.Return(chunk); }
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            throw new ImageDecodeException(name, ImageFormat.Unknown, DecodeFailureReason.IoError, e.Message, e);
        }
    }

    /// <summary>A whole regular file, refused unread when longer than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ImageDecodeException">Too long, not a regular file, or unreadable.</exception>
    public static byte[] ReadFile(string path, long maxBytes)
    {
        try { return UntrustedFile.ReadAllBytes(path, maxBytes); }
        catch (FileTooLargeException e) { throw TooLarge(path, $"the file is {e.Length} bytes", Math.Min(maxBytes, Array.MaxLength)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageDecodeException(path, ImageFormat.Unknown, DecodeFailureReason.IoError, e.Message, e);
        }
    }

    /// <summary>An in-memory image over the limit.</summary>
    public static void CheckLength(long length, long maxBytes, string name)
    {
        if (length > maxBytes) throw TooLarge(name, $"the image is {length} bytes", maxBytes);
    }

    private static ImageDecodeException TooLarge(string name, string what, long limit) =>
        new(name, ImageFormat.Unknown, DecodeFailureReason.TooLarge, $"{what}; the limit is {limit} (EngineOptions.MaxImageBytes)");
}
