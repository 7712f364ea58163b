// The index folder: catalog.sqlite (ids, paths, hashes, labels, fingerprint, segment bookkeeping)
// plus segments/seg-NNNNNN.npy (vectors). This file holds lifetime (create/open/close) and the
// append path; recovery, reads, compaction and verification live in the other IndexStore*.cs files.
//
// Crash-safety contract: an item is "reported added" when Add returns its id. By then its vector
// bytes are fsynced in a segment and the catalog transaction that names them (and raises the
// segment's committed row count) is durable. Anything past the committed count is garbage that the
// next Open truncates away, so a re-run that skips Contains(path, hash) resumes without duplicates.
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuSearch.Store;

/// <summary>A persistent, crash-safe vector index folder. Single writer; not thread-safe for concurrent calls.</summary>
internal sealed partial class IndexStore : IDisposable
{
    private const string CatalogFile = "catalog.sqlite";
    private const string LockFile = "LOCK";
    private readonly FileStream? _lock; // null for read-only handles, which never take the writer's lock
    private readonly Catalog _catalog;
    private readonly List<string> _recoveryLog = [];
    private readonly Quarantine _quarantine;
    private readonly ILogger _logger; // recovery actions and quarantine moves, as they happen (also kept in RecoveryLog)
    private SegmentFile? _open;
    private long _openId;
    private long _openRows;

    private IndexStore(string folder, FileStream? lockFile, Catalog catalog, IndexMetadata metadata, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        Folder = folder;
        _lock = lockFile;
        IsReadOnly = lockFile is null;
        _catalog = catalog;
        _ = catalog.HasKeys; // asked now, outside any transaction: later statements inside one read the cached answer
        Metadata = metadata;
        _quarantine = new Quarantine(folder, _logger);
    }

    /// <summary>The index folder.</summary>
    public string Folder { get; }

    /// <summary>Model fingerprint, dtype, width and segment size.</summary>
    public IndexMetadata Metadata { get; }

    /// <summary>True for handles from <see cref="OpenReadOnly"/>: reads only, no lock, no recovery.</summary>
    public bool IsReadOnly { get; }

    /// <summary>What Open had to repair after an unclean shutdown (empty after a clean one).</summary>
    public IReadOnlyList<string> RecoveryLog => _recoveryLog;

    /// <summary>
    /// Where this handle moved what it took out of the index (<c>quarantine/&lt;UTC time&gt;/</c> inside the folder),
    /// or null when it moved nothing. The store never deletes data it cannot prove uncommitted.
    /// </summary>
    public string? QuarantineFolder => _quarantine.Folder;

    /// <summary>Test hook: the catalog, e.g. to cap its size with <c>PRAGMA max_page_count</c> and so simulate a full disk.</summary>
    internal Catalog CatalogForTests => _catalog;

    /// <summary>Test hook: called at named points of multi-step operations to simulate a crash there.</summary>
    internal Action<string>? FaultPoint { get; set; }

    private string SegmentDir => Path.Combine(Folder, "segments");
    private string SegmentPath(string name) => Path.Combine(SegmentDir, name);

    /// <summary>
    /// Creates a new index in <paramref name="folder"/> (which must be absent, empty, or hold only what an interrupted
    /// create left) and opens it. The catalog is built under a temporary name and renamed into place once its schema
    /// and meta are committed, so a process killed while creating never leaves a <c>catalog.sqlite</c> that every
    /// later open would refuse.
    /// </summary>
    /// <exception cref="IOException">The folder holds anything else.</exception>
    public static IndexStore Create(string folder, IndexMetadata metadata, ILogger? logger = null)
    {
        metadata.Validate();
        folder = Path.GetFullPath(folder);
        var catalogPath = Path.Combine(folder, CatalogFile);
        var building = catalogPath + CreatingSuffix;
        Directory.CreateDirectory(folder);
        using (AcquireLock(folder))
        {
            if (Directory.EnumerateFileSystemEntries(folder).Any(e => !IsLeftOfUnfinishedCreate(folder, e)))
                throw new IOException($"cannot create an index in {folder}: the folder is not empty");
            foreach (var e in Directory.EnumerateFiles(folder, CatalogFile + CreatingSuffix + "*")) File.Delete(e); // schema only, no data
            Directory.CreateDirectory(Path.Combine(folder, "segments"));
            using (var conn = CatalogSchema.Connect(building, create: true))
            {
                var cat = new Catalog(conn, building);
                using var tx = cat.Begin();
                cat.Exec(CatalogSchema.Sql, tx);
                CatalogMigration.Upgrade(cat, 1, tx); // sets format_version
                cat.SetMeta("fingerprint", metadata.Fingerprint.Canonical, tx);
                cat.SetMeta("dim", metadata.Dim.ToString(CultureInfo.InvariantCulture), tx);
                cat.SetMeta("dtype", metadata.StorageDType.Descr(), tx);
                cat.SetMeta("segment_rows", metadata.SegmentCapacityRows.ToString(CultureInfo.InvariantCulture), tx);
                cat.SetMeta("created", metadata.Created.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), tx);
                cat.SetMeta("next_segment", "1", tx);
                cat.Commit(tx);
            }
            // Closing the last connection checkpointed the WAL into the file; a -wal that survived goes with it.
            if (File.Exists(building + "-wal")) File.Move(building + "-wal", catalogPath + "-wal");
            File.Move(building, catalogPath);
            File.Delete(building + "-shm");
            DurableFile.SyncDirectory(folder);
        }
        return Open(folder, metadata.Fingerprint, logger);
    }

    private const string CreatingSuffix = ".creating";

    /// <summary>What a create killed before its rename leaves: the lock file, an empty segments folder, the catalog being built.</summary>
    private static bool IsLeftOfUnfinishedCreate(string folder, string entry)
    {
        var name = Path.GetFileName(entry);
        if (name == LockFile) return true;
        if (name == "segments") return Directory.Exists(entry) && !Directory.EnumerateFileSystemEntries(entry).Any();
        return name.StartsWith(CatalogFile + CreatingSuffix, StringComparison.Ordinal) && File.Exists(entry) &&
            !File.Exists(Path.Combine(folder, CatalogFile));
    }

    /// <summary>
    /// Opens an existing index, repairing what an unclean shutdown left (see <see cref="RecoveryLog"/>): uncommitted
    /// leftovers are moved to <see cref="QuarantineFolder"/>, never deleted; a row count the catalog's own items
    /// contradict is restored when the rows verify, else that segment is left untouched.
    /// With <paramref name="expectedFingerprint"/>, an index built by another model is refused; <paramref name="logger"/>
    /// (null: nowhere) is told each recovery action and quarantine move as it happens.
    /// </summary>
    /// <exception cref="FingerprintMismatchException">The index was built with a different model.</exception>
    /// <exception cref="StoreCorruptException">The catalog cannot be read, or its meta contradicts its segments.</exception>
    public static IndexStore Open(string folder, ModelFingerprint? expectedFingerprint = null, ILogger? logger = null)
    {
        folder = Path.GetFullPath(folder);
        var catalogPath = Path.Combine(folder, CatalogFile);
        if (!File.Exists(catalogPath)) throw new FileNotFoundException($"no index at {folder} ({CatalogFile} is missing)", catalogPath);
        var lockFile = AcquireLock(folder);
        Catalog? cat = null;
        try
        {
            cat = new Catalog(CatalogSchema.Connect(catalogPath, create: false), catalogPath);
            var meta = ReadMetadata(cat, catalogPath);
            if (expectedFingerprint is not null && meta.Fingerprint.Canonical != expectedFingerprint.Canonical)
                throw new FingerprintMismatchException(folder, meta.Fingerprint, expectedFingerprint);
            UpgradeFormat(cat);
            var store = new IndexStore(folder, lockFile, cat, meta, logger);
            store.Recover();
            return store;
        }
        catch (Exception e)
        {
            cat?.Dispose();
            lockFile.Dispose();
            // A disk that fills up during recovery is not a damaged catalog: that one stays a CatalogException.
            var se = e as SqliteException ?? (e is CatalogException { IsDiskFull: false } ce ? (SqliteException)ce.InnerException! : null);
            if (se is not null)
                throw new StoreCorruptException(
                    $"{catalogPath}: the catalog cannot be read (SQLite error {se.SqliteErrorCode}: {se.Message}). " +
                    "Ids, paths and labels are in the catalog; the vectors in segments/*.npy are still readable by numpy. " +
                    "Run IndexStore.VerifyFolder for a recovery report, or rebuild the index.", se);
            throw;
        }
    }

    private static IndexMetadata ReadMetadata(Catalog cat, string catalogPath)
    {
        string Need(string key) => cat.GetMeta(key) ?? throw new StoreCorruptException(
            $"{catalogPath}: meta '{key}' is missing (the index was never completely created); delete the folder and create it again");
        int version = int.Parse(Need("format_version"), CultureInfo.InvariantCulture);
        if (version > CatalogSchema.FormatVersion)
            throw new StoreCorruptException($"{catalogPath}: index format {version} is newer than this build reads ({CatalogSchema.FormatVersion})");
        var fp = ModelFingerprint.Parse(Need("fingerprint"));
        var dtype = NpyDTypes.Parse(Need("dtype"), catalogPath);
        int dim = int.Parse(Need("dim"), CultureInfo.InvariantCulture);
        if (dim != fp.Dim) throw new StoreCorruptException($"{catalogPath}: meta dim {dim} disagrees with the fingerprint's {fp.Dim}");
        return new IndexMetadata(fp, dtype, int.Parse(Need("segment_rows"), CultureInfo.InvariantCulture))
        {
            Created = DateTimeOffset.Parse(Need("created"), CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Brings an older catalog to <see cref="CatalogSchema.FormatVersion"/> in one transaction (only adds; see <see cref="CatalogMigration"/>).</summary>
    private static void UpgradeFormat(Catalog cat)
    {
        int version = int.Parse(cat.GetMeta("format_version")!, CultureInfo.InvariantCulture);
        if (version >= CatalogSchema.FormatVersion) return;
        using var tx = cat.Begin();
        CatalogMigration.Upgrade(cat, version, tx);
        cat.Commit(tx);
    }

    private static FileStream AcquireLock(string folder)
    {
        var path = Path.Combine(folder, LockFile);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix; the kernel drops it when
            // the process dies, so a kill -9 never leaves the index locked.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsLockHeld(e))
        {
            throw new IOException($"the index at {folder} is open in another process (its LOCK file is held)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Anything else is the real cause (read-only medium, permissions, missing folder): say so, not "in use".
            throw new IOException($"cannot open {path} to lock the index for writing: {e.Message}. " +
                "Reading (query, eval, verify) needs no lock; to add, delete or repair, use writable storage", e);
        }
    }

    /// <summary>flock's EWOULDBLOCK (errno 11 on Linux, 35 on macOS), which .NET reports as the HResult of a sharing violation on Unix.</summary>
    private static bool IsLockHeld(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) == 32 : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

    /// <summary>Number of live (not deleted) items.</summary>
    public long Count => _catalog.Count(liveOnly: true);

    /// <summary>True when a live item has this path and content hash (a resumed run skips it).</summary>
    public bool Contains(string path, string contentHash) =>
        _catalog.FindLive(path) is { } hit && hit.Hash == ContentHash.Normalize(contentHash, path);

    /// <summary>Id, path and content hash of every live item, by id (no vectors are read).</summary>
    public IReadOnlyList<(long Id, string Path, string ContentHash)> LiveItems() => _catalog.LiveItems();

    /// <summary>The item with id <paramref name="id"/> (live or tombstoned), or null.</summary>
    public StoredItem? Get(long id) => _catalog.GetItem("i.id=$id", ("$id", id));

    /// <summary>The live item at <paramref name="path"/> without a caller key, or null (keyed items are found by key).</summary>
    public StoredItem? Get(string path) => _catalog.GetItem($"i.path=$p AND i.deleted=0 AND {_catalog.KeyColumn} IS NULL", ("$p", path));

    /// <summary>A page of live items in id order: at most <paramref name="limit"/> of them after skipping <paramref name="offset"/>.</summary>
    public IReadOnlyList<StoredItem> List(long offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _catalog.ListLive(offset, limit);
    }

    /// <summary>Tombstones item <paramref name="id"/>; its row is dropped at the next <see cref="Compact"/>. False if absent or already deleted.</summary>
    public bool Delete(long id)
    {
        ThrowIfReadOnly();
        return _catalog.Tombstone(id);
    }

    /// <summary>Tombstones the live item at <paramref name="path"/>. False if there is none.</summary>
    public bool Delete(string path)
    {
        ThrowIfReadOnly();
        return _catalog.FindLive(path) is { } hit && _catalog.Tombstone(hit.Id);
    }

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly) throw new InvalidOperationException($"the index at {Folder} was opened read-only");
    }

    /// <summary>Closes the files. Safe at any point: nothing committed depends on it.</summary>
    public void Dispose()
    {
        if (_open is not null)
        {
            _open.WriteHeader(_openRows, sync: true);
            _open.Dispose();
            _open = null;
        }
        _catalog.Dispose();
        _lock?.Dispose();
    }
}
