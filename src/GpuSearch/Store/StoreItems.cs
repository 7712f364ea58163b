// The values that go into and come out of an IndexStore.
using System.Security.Cryptography;

namespace GpuSearch.Store;

/// <summary>One image to add: where it is, what its bytes hash to, and its embedding.</summary>
/// <param name="Path">Path (or URI) as the caller names the image; at most one live item per path.</param>
/// <param name="ContentHash">SHA-256 hex of the file content (see <see cref="ContentHash.Of(Stream)"/>).</param>
/// <param name="Size">File size in bytes.</param>
/// <param name="Vector">Embedding, exactly <see cref="IndexMetadata.Dim"/> floats.</param>
/// <param name="LabelsJson">Optional labels/attributes (the caller's metadata) as a JSON object.</param>
/// <param name="Key">The caller's own key (SKU, registration number), or null. A keyed item replaces the live item with the
/// same key and is exempt from the one-live-item-per-path rule; see <see cref="ItemKeys"/> for the limits.</param>
internal sealed record ItemToAdd(string Path, string ContentHash, long Size, ReadOnlyMemory<float> Vector, string? LabelsJson = null, string? Key = null);

/// <summary>An item as the catalog records it.</summary>
/// <param name="Id">Stable 64-bit external id (never reused).</param>
/// <param name="Path">Image path.</param>
/// <param name="ContentHash">SHA-256 hex of the content.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Added">When it was added (UTC).</param>
/// <param name="LabelsJson">Labels/attributes JSON, or null.</param>
/// <param name="Segment">Segment file name holding its vector.</param>
/// <param name="Row">Row in that segment.</param>
/// <param name="Deleted">True once tombstoned.</param>
/// <param name="Key">The caller's key, or null for items indexed by path.</param>
public sealed record StoredItem(long Id, string Path, string ContentHash, long Size, DateTimeOffset Added, string? LabelsJson, string Segment, long Row, bool Deleted,
    string? Key = null);

/// <summary>A run of live vectors from one segment, in row order.</summary>
/// <param name="Ids">Item ids, one per row.</param>
/// <param name="Paths">Item paths, one per row.</param>
/// <param name="DType">Storage dtype of <paramref name="RawVectors"/>.</param>
/// <param name="Dim">Vector width.</param>
/// <param name="RawVectors">Rows × Dim elements in the storage dtype, little-endian (ready to upload as is).</param>
internal sealed record LiveBatch(long[] Ids, string[] Paths, NpyDType DType, int Dim, byte[] RawVectors)
{
    /// <summary>Number of vectors.</summary>
    public int Count => Ids.Length;

    /// <summary>The vectors as float32, rows × Dim.</summary>
    public float[] ToFloat32()
    {
        var dst = new float[Count * Dim];
        NpyConvert.ToFloat32(DType, RawVectors, dst);
        return dst;
    }
}

/// <summary>Every live vector of an index, in row order.</summary>
/// <param name="Ids">Item ids.</param>
/// <param name="Paths">Item paths.</param>
/// <param name="Vectors">Rows × Dim float32 values.</param>
/// <param name="Dim">Vector width.</param>
internal sealed record StoreContents(long[] Ids, string[] Paths, float[] Vectors, int Dim)
{
    /// <summary>Vector of row <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Vector(int i) => Vectors.AsSpan(i * Dim, Dim);
}

/// <summary>Content hashing used for <see cref="ItemToAdd.ContentHash"/>.</summary>
internal static class ContentHash
{
    /// <summary>SHA-256 hex (lower case) of a stream's remaining bytes.</summary>
    public static string Of(Stream s) => Convert.ToHexStringLower(SHA256.HashData(s));

    /// <summary>SHA-256 hex (lower case) of a file.</summary>
    public static string OfFile(string path)
    {
        using var fs = IO.UntrustedFile.OpenRegular(path);
        return Of(fs);
    }

    /// <summary>SHA-256 hex (lower case) of bytes.</summary>
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    internal static string Normalize(string hash, string path)
    {
        var h = hash.Trim().ToLowerInvariant();
        if (h.Length != 64 || !h.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"content hash for {path} must be 64 hex digits (SHA-256), got '{hash}'");
        return h;
    }
}
