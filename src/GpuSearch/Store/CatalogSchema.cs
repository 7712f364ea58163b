// The catalog.sqlite schema and connection settings. The catalog is the source of truth: a vector
// row exists only once the transaction naming it (and the segment's new row count) has committed.
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Store;

internal static partial class CatalogSchema
{
    /// <summary>Bumped when the folder layout changes; newer folders are refused, older ones upgraded on a writable open
    /// (<see cref="CatalogMigration"/>).</summary>
    public const int FormatVersion = 2;

    /// <summary>The version-1 schema. A new catalog runs this and then every migration step, so a new catalog and an
    /// upgraded one have exactly the same schema.</summary>
    public const string Sql = """
        CREATE TABLE meta(
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL);
        CREATE TABLE segments(
            id          INTEGER PRIMARY KEY,          -- seg-<id>.npy; ids are reserved in meta and never reused
            name        TEXT NOT NULL UNIQUE,
            rows        INTEGER NOT NULL,             -- committed rows: anything past this in the file is discarded
            byte_length INTEGER NOT NULL,             -- header + rows * row bytes
            checksum    TEXT,                         -- SHA-256 of the whole file, set when sealed
            sealed      INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE items(
            id           INTEGER PRIMARY KEY AUTOINCREMENT, -- external id: AUTOINCREMENT so ids of compacted-away items are never reissued
            path         TEXT NOT NULL,
            content_hash TEXT NOT NULL,               -- SHA-256 hex of the file content
            size         INTEGER NOT NULL,
            added        TEXT NOT NULL,               -- ISO 8601 UTC
            labels       TEXT,                        -- JSON object or NULL
            segment      INTEGER NOT NULL REFERENCES segments(id),
            row          INTEGER NOT NULL,
            deleted      INTEGER NOT NULL DEFAULT 0,
            UNIQUE(segment, row));
        -- SHA-256 of each committed run of rows (one per append, or per block when compaction writes),
        -- so damage is found in open segments too and pinned to the rows it hits.
        CREATE TABLE chunks(
            segment   INTEGER NOT NULL REFERENCES segments(id),
            first_row INTEGER NOT NULL,
            rows      INTEGER NOT NULL,
            checksum  TEXT NOT NULL,
            PRIMARY KEY(segment, first_row));
        -- At most one live item per path: the database itself forbids resume-time duplicates.
        CREATE UNIQUE INDEX items_live_path ON items(path) WHERE deleted = 0;
        CREATE INDEX items_hash ON items(content_hash);
        """;

    /// <summary>Opens a connection with the settings every store connection uses.</summary>
    public static SqliteConnection Connect(string file, bool create, bool readOnly = false)
    {
        if (!readOnly || CanWriteBeside(file)) return ConnectTo(file, file, create, readOnly);
        // A read-only medium: a WAL database needs its -shm file even to read, and that cannot be created there,
        // so open the file as immutable. That would ignore a -wal file's commits (a stale view): with one
        // present, try the normal way (SQLite reads it when the -shm exists too) and otherwise refuse.
        var wal = file + "-wal";
        if (!File.Exists(wal) || new FileInfo(wal).Length == 0)
            return ConnectTo(file, new Uri(file).AbsoluteUri + "?immutable=1", create: false, readOnly: true);
        SqliteConnection? c = null;
        try
        {
            c = ConnectTo(file, file, create, readOnly);
            using var probe = c.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM meta"; // SQLite opens the WAL lazily: make it try now
            probe.ExecuteScalar();
            return c;
        }
        catch (Exception e) when (e is CatalogException or SqliteException)
        {
            c?.Dispose();
            throw new IOException($"{wal} holds commits that cannot be read on a read-only medium ({e.Message}); " +
                "copy the index to writable storage and open it there", e);
        }
    }

    /// <summary>Whether the folder of <paramref name="file"/> is writable (false on a read-only medium); asks, writes nothing.</summary>
    private static bool CanWriteBeside(string file) =>
        OperatingSystem.IsWindows() || Access(Path.GetDirectoryName(file)!, WriteOk) == 0;

    private const int WriteOk = 2; // W_OK: access(2) reports EROFS for it even to root

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    private static SqliteConnection ConnectTo(string file, string dataSource, bool create, bool readOnly)
    {
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = dataSource,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            // No pooling: Dispose must really close the file so WAL is checkpointed and another
            // process (or a test that damages the file) sees the final state.
            Pooling = false,
        }.ToString();
        var c = new SqliteConnection(cs);
        try
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // WAL: readers do not block the writer, and a commit is one append + fsync of the -wal file.
            // synchronous=FULL makes each commit durable against power loss, not just process death.
            cmd.CommandText = readOnly
                ? "PRAGMA busy_timeout=5000;" // a reader must not try to change the journal mode
                : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
            cmd.ExecuteNonQuery();
            return c;
        }
        catch (SqliteException e)
        {
            c.Dispose();
            throw new CatalogException(file, e); // e.g. a full disk while creating the catalog
        }
    }
}
