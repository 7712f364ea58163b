// Exceptions the index store throws for conditions a user must act on (wrong model, damaged files).
namespace GpuSearch.Store;

/// <summary>The index was built by a different model than the one expected.</summary>
public sealed class FingerprintMismatchException : InvalidOperationException
{
    internal FingerprintMismatchException(string folder, ModelFingerprint stored, ModelFingerprint expected)
        : base(BuildMessage(folder, stored, expected))
    {
        Stored = stored;
        Expected = expected;
    }

    /// <summary>The fingerprint recorded in the index.</summary>
    public ModelFingerprint Stored { get; }

    /// <summary>The fingerprint the caller asked for.</summary>
    public ModelFingerprint Expected { get; }

    private static string BuildMessage(string folder, ModelFingerprint stored, ModelFingerprint expected) =>
        $"The index at {folder} was built with a different model; its vectors are not comparable with this one.\n" +
        $"  index:    {stored.Canonical}\n" +
        $"  expected: {expected.Canonical}\n" +
        "  differences:\n    " + string.Join("\n    ", stored.Differences(expected, "index", "expected")) + "\n" +
        "Rebuild the index with the new model, or open it with the model it was built with.";
}

/// <summary>A store file is damaged in a way the store cannot repair by itself.</summary>
public sealed class StoreCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StoreCorruptException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>True when SQLite reads the catalog fine but it contradicts itself (ids, paths and vectors are all still there).</summary>
    internal bool CatalogReadable { get; init; }
}

/// <summary>
/// SQLite failed on the catalog (<c>catalog.sqlite</c>): a damaged page, a full disk, an I/O error. Thrown instead of
/// <see cref="Microsoft.Data.Sqlite.SqliteException"/> by every catalog access, with the file and what to do in the message.
/// </summary>
public sealed class CatalogException : IOException
{
    private const int SqliteCorrupt = 11, SqliteFull = 13, SqliteNotADatabase = 26, SqliteIoErr = 10, SqliteReadOnly = 8;

    internal CatalogException(string catalogPath, Microsoft.Data.Sqlite.SqliteException inner)
        : base(BuildMessage(catalogPath, inner.SqliteErrorCode & 0xff, inner.Message), inner)
    {
        CatalogPath = catalogPath;
        SqliteErrorCode = inner.SqliteErrorCode & 0xff;
    }

    /// <summary>The catalog file that failed.</summary>
    public string CatalogPath { get; }

    /// <summary>SQLite's primary result code (11 corrupt, 13 full, 10 I/O error, ...).</summary>
    public int SqliteErrorCode { get; }

    /// <summary>True when the disk (or a size limit) is full; nothing committed was lost.</summary>
    public bool IsDiskFull => SqliteErrorCode == SqliteFull;

    /// <summary>True when SQLite found the file damaged.</summary>
    public bool IsCorrupt => SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase;

    private static string BuildMessage(string path, int code, string sqlite) => code switch
    {
        SqliteFull => $"{path}: the disk is full ({sqlite}); everything reported added is safe: free space and run again, it resumes",
        SqliteCorrupt or SqliteNotADatabase => $"{path}: the catalog is damaged ({sqlite}); run `gpusearch verify` on the index for what can be recovered",
        SqliteIoErr => $"{path}: I/O error ({sqlite}); check the disk, then run `gpusearch verify` on the index",
        SqliteReadOnly => $"{path}: cannot write the catalog ({sqlite}); the file or its folder is read-only",
        _ => $"{path}: {sqlite}",
    };
}
