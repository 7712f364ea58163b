// Checks a segment's rows against the per-chunk SHA-256s in the catalog and returns the row ranges
// that are damaged (mismatch), lost (past the end of a truncated file) or unaccounted for.
using System.Security.Cryptography;

namespace GpuSearch.Store;

internal static class SegmentChunkCheck
{
    /// <summary>A run of rows that cannot be trusted, and why.</summary>
    public readonly record struct BadRange(long FirstRow, long Rows, string Why)
    {
        public bool Contains(long row) => row >= FirstRow && row < FirstRow + Rows;
    }

    public static string Hash(ReadOnlySpan<byte> rows) => Convert.ToHexStringLower(SHA256.HashData(rows));

    /// <summary>Verifies rows 0..<paramref name="committedRows"/>-1 of <paramref name="path"/>; adjacent bad chunks with the same cause are merged.</summary>
    public static List<BadRange> Check(string path, IReadOnlyList<ChunkRecord> chunks, long committedRows, int rowBytes)
    {
        var bad = new List<BadRange>();
        void Mark(long first, long rows, string why)
        {
            if (rows <= 0) return;
            if (bad.Count > 0 && bad[^1].Why == why && bad[^1].FirstRow + bad[^1].Rows == first)
                bad[^1] = bad[^1] with { Rows = bad[^1].Rows + rows };
            else bad.Add(new BadRange(first, rows, why));
        }
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        long length = fs.Length, next = 0;
        byte[] buf = [];
        foreach (var c in chunks)
        {
            if (c.FirstRow >= committedRows) break; // defensive: never judge rows the catalog has not committed
            Mark(next, c.FirstRow - next, "no checksum recorded for these rows");
            long rows = Math.Min(c.Rows, committedRows - c.FirstRow);
            long start = SegmentFile.HeaderBytes + c.FirstRow * rowBytes, bytes = c.Rows * rowBytes;
            if (start + bytes > length) Mark(c.FirstRow, rows, $"past the end of the file ({length} bytes): truncated");
            else
            {
                if (buf.Length < bytes) buf = new byte[bytes];
                RandomAccess.Read(fs.SafeFileHandle, buf.AsSpan(0, (int)bytes), start);
                if (Hash(buf.AsSpan(0, (int)bytes)) != c.Checksum) Mark(c.FirstRow, rows, "checksum mismatch: bytes changed after they were written");
            }
            next = c.FirstRow + c.Rows;
        }
        Mark(next, committedRows - next, "no checksum recorded for these rows");
        return bad;
    }
}
