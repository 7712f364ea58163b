// Read-only handles: for searching an index while another process adds to it. They take no lock and
// run no recovery; every read is bounded by the catalog's committed row counts, so rows a writer has
// written but not committed (or a crashed writer left behind) are never seen.
namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    /// <summary>
    /// Opens an index for reading only, alongside a writer if one is running. Add, Delete, Compact and
    /// Repair throw <see cref="InvalidOperationException"/>. A compaction by the writer during a read
    /// surfaces as an <see cref="IOException"/> asking to read again.
    /// </summary>
    /// <exception cref="FingerprintMismatchException">The index was built with a different model.</exception>
    /// <exception cref="StoreCorruptException">The catalog cannot be read, or contradicts itself (meta vs. segment lengths,
    /// row counts vs. the rows its items name); a read-only open changes nothing and refuses instead.</exception>
    public static IndexStore OpenReadOnly(string folder, ModelFingerprint? expectedFingerprint = null)
    {
        folder = Path.GetFullPath(folder);
        var catalogPath = Path.Combine(folder, CatalogFile);
        if (!File.Exists(catalogPath)) throw new FileNotFoundException($"no index at {folder} ({CatalogFile} is missing)", catalogPath);
        Catalog? cat = null;
        try
        {
            cat = new Catalog(CatalogSchema.Connect(catalogPath, create: false, readOnly: true), catalogPath);
            var meta = ReadMetadata(cat, catalogPath);
            if (expectedFingerprint is not null && meta.Fingerprint.Canonical != expectedFingerprint.Canonical)
                throw new FingerprintMismatchException(folder, meta.Fingerprint, expectedFingerprint);
            var store = new IndexStore(folder, null, cat, meta);
            var states = store.ReadSegmentStates();
            store.CheckMetaAgainstSegments(states);
            store.CheckRowCountsReadOnly(states);
            return store;
        }
        catch (Exception e)
        {
            cat?.Dispose();
            var se = e as Microsoft.Data.Sqlite.SqliteException ?? (e as CatalogException)?.InnerException as Microsoft.Data.Sqlite.SqliteException;
            if (se is not null)
                throw new StoreCorruptException($"{catalogPath}: the catalog cannot be read (SQLite error {se.SqliteErrorCode}: {se.Message})", se);
            throw;
        }
    }
}
