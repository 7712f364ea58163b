// One vector segment: segments/seg-NNNNNN.npy, a valid .npy whose header is a fixed 128 bytes so
// the row count can be rewritten in place as rows are appended. The catalog's committed row count
// is authoritative; the header only mirrors it so numpy can read the file at any time.
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GpuSearch.Store;

internal sealed class SegmentFile : IDisposable
{
    /// <summary>Fixed header size: room for any 64-bit row count without moving the data.</summary>
    public const int HeaderBytes = 128;

    private readonly FileStream _fs;

    private SegmentFile(FileStream fs, string path, NpyDType dtype, int dim)
    {
        _fs = fs;
        FilePath = path;
        DType = dtype;
        Dim = dim;
    }

    public string FilePath { get; }
    public NpyDType DType { get; }
    public int Dim { get; }
    public int RowBytes => Dim * DType.ItemSize();
    public long Length => _fs.Length;

    public static string NameFor(long id) => $"seg-{id:D6}.npy";

    public static long ExpectedLength(long rows, int dim, NpyDType dtype) => HeaderBytes + rows * dim * dtype.ItemSize();

    public static byte[] Header(long rows, int dim, NpyDType dtype) => NpyHeader.Encode(dtype, [rows, dim], HeaderBytes);

    /// <summary>Creates an empty segment (header only), durable including its directory entry.</summary>
    public static SegmentFile Create(string path, NpyDType dtype, int dim)
    {
        var fs = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        var seg = new SegmentFile(fs, path, dtype, dim);
        DurableFile.WriteAt(fs, 0, Header(0, dim, dtype), sync: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(path)!);
        return seg;
    }

    /// <summary>Opens an existing segment for appending (no validation: recovery decides what to keep).</summary>
    public static SegmentFile OpenExisting(string path, NpyDType dtype, int dim) =>
        new(new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read), path, dtype, dim);

    /// <summary>
    /// Writes rows starting at row <paramref name="firstRow"/> (the committed count, not the file end,
    /// so bytes left by an append that never committed are simply overwritten) and fsyncs.
    /// </summary>
    public void WriteRows(long firstRow, ReadOnlySpan<byte> rows) =>
        DurableFile.WriteAt(_fs, HeaderBytes + firstRow * RowBytes, rows, sync: true);

    /// <summary>Rewrites the header to say <paramref name="rows"/>; fsync optional because recovery rewrites it anyway.</summary>
    public void WriteHeader(long rows, bool sync) => DurableFile.WriteAt(_fs, 0, Header(rows, Dim, DType), sync);

    /// <summary>Cuts the file to exactly <paramref name="rows"/> rows, header updated, durable.</summary>
    public void TruncateTo(long rows)
    {
        _fs.SetLength(ExpectedLength(rows, Dim, DType));
        WriteHeader(rows, sync: true);
    }

    public void ReadRows(long firstRow, Span<byte> into) =>
        RandomAccess.Read(_fs.SafeFileHandle, into, HeaderBytes + firstRow * RowBytes);

    /// <summary>SHA-256 hex of the whole file (header included, so a wrong row count is also caught).</summary>
    public static string Checksum(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>Encodes float32 vectors into storage-dtype row bytes.</summary>
    public static byte[] Encode(IReadOnlyList<ReadOnlyMemory<float>> vectors, int dim, NpyDType dtype)
    {
        var bytes = new byte[vectors.Count * dim * dtype.ItemSize()];
        for (int i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i].Span;
            if (dtype == NpyDType.Float32) MemoryMarshal.AsBytes(v).CopyTo(bytes.AsSpan(i * dim * 4));
            else
            {
                var h = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan(i * dim * 2, dim * 2));
                for (int j = 0; j < dim; j++) h[j] = (Half)v[j];
            }
        }
        return bytes;
    }

    public void Dispose() => _fs.Dispose();
}
