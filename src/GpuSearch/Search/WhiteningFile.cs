// whitening.bin in an index folder: a learned PCA-whitening, kept beside the raw vectors (which it never replaces),
// so the index can be searched whitened and un-whitened again by deleting one file. Little-endian:
//   "GSWHITEN" | u32 version (1) | i32 D | i32 K | f64 shrinkage | i64 rows learned from |
//   64 ASCII hex chars: hash of the index's model fingerprint |
//   D × f32 mean | D × K × f32 projection (row-major) | K × f64 variances | 32-byte SHA-256 of everything before.
// The fingerprint hash ties it to the vectors it was learned from: an index whose model changed refuses it.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GpuSearch.Search;

/// <summary>A whitening as stored in an index folder, with what it was learned from (the transform itself stays inside).</summary>
public sealed record StoredWhitening
{
    internal StoredWhitening(PcaWhitening whitening, string fingerprintHash, long trainedRows)
    {
        Whitening = whitening; FingerprintHash = fingerprintHash; TrainedRows = trainedRows;
    }

    /// <summary>The transform.</summary>
    internal PcaWhitening Whitening { get; }
    /// <summary>Hash of the index's model fingerprint when it was learned.</summary>
    public string FingerprintHash { get; }
    /// <summary>Vectors it was learned from.</summary>
    public long TrainedRows { get; }
    /// <summary>Width of the raw embeddings it takes.</summary>
    public int InputDimension => Whitening.InputDimension;
    /// <summary>Width of the whitened vectors the index is searched with.</summary>
    public int OutputDimension => Whitening.OutputDimension;
    /// <summary>Shrinkage s it was learned with (0 raw whitening, 1 plain PCA rotation).</summary>
    public double Shrinkage => Whitening.Shrinkage;
}

/// <summary>Reads and writes <c>whitening.bin</c>; a damaged or foreign file is refused, never repaired.</summary>
internal static class WhiteningFile
{
    /// <summary>The file's name inside an index folder.</summary>
    public const string FileName = "whitening.bin";
    /// <summary>The only format version written and read.</summary>
    public const uint Version = 1;
    /// <summary>Largest input dimension accepted (bounds the allocation before the checksum is known).</summary>
    public const int MaxDimension = 8192;

    private static ReadOnlySpan<byte> Magic => "GSWHITEN"u8;
    private const int HashChars = 64, HeaderBytes = 8 + 4 + 4 + 4 + 8 + 8 + HashChars, ChecksumBytes = 32;

    private static long LengthFor(int d, int k) => HeaderBytes + 4L * d + 4L * d * k + 8L * k + ChecksumBytes;

    /// <summary>Writes <paramref name="stored"/> to <paramref name="path"/> atomically (temporary file, fsync, rename).</summary>
    public static void Write(string path, StoredWhitening stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var w = stored.Whitening;
        if (stored.FingerprintHash.Length != HashChars || !stored.FingerprintHash.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException("the fingerprint hash must be 64 lower-case hex characters", nameof(stored));
        var bytes = new byte[LengthFor(w.InputDimension, w.OutputDimension)];
        var s = bytes.AsSpan();
        Magic.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(s[12..], w.InputDimension);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], w.OutputDimension);
        BinaryPrimitives.WriteDoubleLittleEndian(s[20..], w.Shrinkage);
        BinaryPrimitives.WriteInt64LittleEndian(s[28..], stored.TrainedRows);
        Encoding.ASCII.GetBytes(stored.FingerprintHash, s[36..]);
        int at = HeaderBytes;
        foreach (var v in w.Mean) { BinaryPrimitives.WriteSingleLittleEndian(s[at..], v); at += 4; }
        foreach (var v in w.Projection) { BinaryPrimitives.WriteSingleLittleEndian(s[at..], v); at += 4; }
        foreach (var v in w.Variances) { BinaryPrimitives.WriteDoubleLittleEndian(s[at..], v); at += 8; }
        SHA256.HashData(s[..at], s[at..]);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        Store.DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// Reads <paramref name="path"/>, checking everything before trusting it: magic, version, sizes against
    /// <paramref name="inputDimension"/> and the file length (before allocating), the checksum, finite values and
    /// the fingerprint against <paramref name="fingerprintHash"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged, of another version, or for other vectors; the message names it.</exception>
    public static StoredWhitening Read(string path, int inputDimension, string fingerprintHash)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
        var header = new byte[HeaderBytes];
        if (fs.Length < HeaderBytes + ChecksumBytes) throw Damaged(path, $"it is {fs.Length} bytes, too short for a header");
        fs.ReadExactly(header);
        var h = header.AsSpan();
        if (!h[..8].SequenceEqual(Magic)) throw Damaged(path, "it does not start with GSWHITEN");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version != Version) throw Damaged(path, $"format version {version}, this build reads {Version}");
        int d = BinaryPrimitives.ReadInt32LittleEndian(h[12..]), k = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
        if (d != inputDimension) throw Damaged(path, $"it whitens {d}-d vectors, the index holds {inputDimension}-d ones");
        if (d <= 0 || d > MaxDimension || k <= 0 || k > d) throw Damaged(path, $"output dimension {k} is not in 1..{d}");
        if (fs.Length != LengthFor(d, k)) throw Damaged(path, $"it is {fs.Length} bytes, {d} × {k} needs {LengthFor(d, k)}");
        var bytes = new byte[fs.Length];
        h.CopyTo(bytes);
        fs.ReadExactly(bytes.AsSpan(HeaderBytes));
        var s = bytes.AsSpan();
        int body = bytes.Length - ChecksumBytes;
        if (!SHA256.HashData(s[..body]).AsSpan().SequenceEqual(s[body..])) throw Damaged(path, "its checksum does not match its contents");
        double shrinkage = BinaryPrimitives.ReadDoubleLittleEndian(s[20..]);
        long rows = BinaryPrimitives.ReadInt64LittleEndian(s[28..]);
        var hash = Encoding.ASCII.GetString(s.Slice(36, HashChars));
        if (hash != fingerprintHash)
            throw Damaged(path, $"it was learned for model fingerprint {hash[..12]}…, the index's is {fingerprintHash[..Math.Min(12, fingerprintHash.Length)]}…; run `gpusearch whiten` again");
        int at = HeaderBytes;
        var mean = new float[d];
        var projection = new float[d * k];
        var variances = new double[k];
        for (int i = 0; i < d; i++, at += 4) mean[i] = BinaryPrimitives.ReadSingleLittleEndian(s[at..]);
        for (int i = 0; i < d * k; i++, at += 4) projection[i] = BinaryPrimitives.ReadSingleLittleEndian(s[at..]);
        for (int i = 0; i < k; i++, at += 8) variances[i] = BinaryPrimitives.ReadDoubleLittleEndian(s[at..]);
        if (!(shrinkage >= 0 && shrinkage <= 1) || rows < 2 || !mean.All(float.IsFinite) || !projection.All(float.IsFinite) || !variances.All(double.IsFinite))
            throw Damaged(path, "it holds a shrinkage outside [0, 1], fewer than 2 rows, or a non-finite value");
        return new StoredWhitening(PcaWhitening.FromParts(d, k, mean, projection, variances, shrinkage), hash, rows);
    }

    private static InvalidDataException Damaged(string path, string why) => new($"{path} is refused: {why} (delete it to search the raw vectors)");
}
