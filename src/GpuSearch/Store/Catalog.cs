// Data access for catalog.sqlite: every SQL statement the store runs lives here, so the store's
// logic reads as a sequence of crash-safe steps rather than string building.
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Store;

internal sealed record SegmentRecord(long Id, string Name, long Rows, long ByteLength, string? Checksum, bool Sealed);

internal readonly record struct SegmentItem(long Id, string Path, long Row, bool Deleted);

internal readonly record struct ChunkRecord(long FirstRow, long Rows, string Checksum);

// Every SqliteException leaving this class becomes a CatalogException naming the catalog file: a damaged
// page or a full disk is a one-line error for the user, not an unhandled SQLite stack trace.
internal sealed partial class Catalog(SqliteConnection conn, string path) : IDisposable
{
    public SqliteConnection Connection => conn;

    /// <summary>The catalog file, named in every error.</summary>
    public string FilePath => path;

    /// <summary>Test hook: runs before every statement this class executes, to inject failures (e.g. a full disk).</summary>
    internal Action<string>? BeforeStatement { get; set; }

    private T Guard<T>(Func<T> run)
    {
        try { return run(); }
        catch (SqliteException e) { throw new CatalogException(path, e); }
    }

    private void GuardVoid(Action run) => Guard(() => { run(); return 0; });

    public SqliteTransaction Begin() => Guard(() => conn.BeginTransaction());

    /// <summary>A deferred transaction: one consistent snapshot for several reads, taking no write lock (works read-only).</summary>
    public SqliteTransaction BeginRead() => Guard(() => conn.BeginTransaction(deferred: true));

    /// <summary>Commits <paramref name="tx"/>; a full disk or I/O error surfaces as <see cref="CatalogException"/>.</summary>
    public void Commit(SqliteTransaction tx) => GuardVoid(() => { BeforeStatement?.Invoke("COMMIT"); tx.Commit(); });

    public SqliteCommand Cmd(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        BeforeStatement?.Invoke(sql);
        var c = conn.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return c;
    }

    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// A cached command for the per-item hot path (lookups and inserts run once per added item):
    /// parsing SQL afresh for each row costs more than the insert itself. Not disposed by callers.
    /// </summary>
    private SqliteCommand Prepared(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] args)
    {
        BeforeStatement?.Invoke(sql);
        if (!_prepared.TryGetValue(sql, out var c))
        {
            c = conn.CreateCommand();
            c.CommandText = sql;
            foreach (var (n, _) in args) c.Parameters.Add(new SqliteParameter(n, DBNull.Value));
            _prepared[sql] = c;
        }
        c.Transaction = tx;
        for (int i = 0; i < args.Length; i++) c.Parameters[i].Value = args[i].Value ?? DBNull.Value;
        return c;
    }

    public int Exec(string sql, SqliteTransaction? tx = null, params (string, object?)[] args) => Guard(() =>
    {
        using var c = Cmd(sql, tx, args);
        return c.ExecuteNonQuery();
    });

    public object? Scalar(string sql, SqliteTransaction? tx = null, params (string, object?)[] args) => Guard(() =>
    {
        using var c = Cmd(sql, tx, args);
        var v = c.ExecuteScalar();
        return v is DBNull ? null : v;
    });

    public string? GetMeta(string key) => Scalar("SELECT value FROM meta WHERE key=$k", null, ("$k", key)) as string;

    public void SetMeta(string key, string value, SqliteTransaction tx) =>
        Exec("INSERT INTO meta(key,value) VALUES($k,$v) ON CONFLICT(key) DO UPDATE SET value=excluded.value", tx, ("$k", key), ("$v", value));

    /// <summary>Reserves a segment id in its own committed transaction, so a name is never used twice even across crashes.</summary>
    public long ReserveSegmentId()
    {
        using var tx = Begin();
        long next = long.Parse(GetMetaIn("next_segment", tx) ?? "1", CultureInfo.InvariantCulture);
        SetMeta("next_segment", (next + 1).ToString(CultureInfo.InvariantCulture), tx);
        Commit(tx);
        return next;
    }

    private string? GetMetaIn(string key, SqliteTransaction tx) => Scalar("SELECT value FROM meta WHERE key=$k", tx, ("$k", key)) as string;

    public List<SegmentRecord> Segments(SqliteTransaction? tx = null) => Guard(() =>
    {
        using var c = Cmd("SELECT id,name,rows,byte_length,checksum,sealed FROM segments ORDER BY id", tx);
        using var r = c.ExecuteReader();
        var list = new List<SegmentRecord>();
        while (r.Read())
            list.Add(new SegmentRecord(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5) != 0));
        return list;
    });

    public void InsertSegment(SegmentRecord s, SqliteTransaction tx) =>
        Exec("INSERT INTO segments(id,name,rows,byte_length,checksum,sealed) VALUES($id,$n,$r,$b,$c,$s)", tx,
            ("$id", s.Id), ("$n", s.Name), ("$r", s.Rows), ("$b", s.ByteLength), ("$c", s.Checksum), ("$s", s.Sealed ? 1 : 0));

    public void UpdateSegmentRows(long id, long rows, long byteLength, SqliteTransaction tx) =>
        Exec("UPDATE segments SET rows=$r, byte_length=$b WHERE id=$id", tx, ("$r", rows), ("$b", byteLength), ("$id", id));

    public void SealSegment(long id, string checksum, long byteLength) =>
        Exec("UPDATE segments SET sealed=1, checksum=$c, byte_length=$b WHERE id=$id", null, ("$c", checksum), ("$b", byteLength), ("$id", id));

    public void InsertChunk(long segment, long firstRow, long rows, string checksum, SqliteTransaction tx) =>
        Exec("INSERT INTO chunks(segment,first_row,rows,checksum) VALUES($s,$f,$r,$c)", tx, ("$s", segment), ("$f", firstRow), ("$r", rows), ("$c", checksum));

    public List<ChunkRecord> ChunksOf(long segment, SqliteTransaction? tx = null) => Guard(() =>
    {
        using var c = Cmd("SELECT first_row,rows,checksum FROM chunks WHERE segment=$s ORDER BY first_row", tx, ("$s", segment));
        using var r = c.ExecuteReader();
        var list = new List<ChunkRecord>();
        while (r.Read()) list.Add(new ChunkRecord(r.GetInt64(0), r.GetInt64(1), r.GetString(2)));
        return list;
    });

    /// <summary>The live item at <paramref name="path"/> without a caller key: its id and content hash.</summary>
    public (long Id, string Hash)? FindLive(string path, SqliteTransaction? tx = null) => Guard<(long Id, string Hash)?>(() =>
    {
        var c = Prepared(HasKeys ? "SELECT id, content_hash FROM items WHERE path=$p AND deleted=0 AND key IS NULL"
            : "SELECT id, content_hash FROM items WHERE path=$p AND deleted=0", tx, ("$p", path));
        using var r = c.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : null;
    });

    public long InsertItem(ItemToAdd item, string hash, long segment, long row, string added, SqliteTransaction tx) => Guard(() =>
        (long)Prepared("INSERT INTO items(path,content_hash,size,added,labels,segment,row,key) VALUES($p,$h,$s,$a,$l,$seg,$row,$k) RETURNING id", tx,
        ("$p", item.Path), ("$h", hash), ("$s", item.Size), ("$a", added), ("$l", item.LabelsJson), ("$seg", segment), ("$row", row), ("$k", item.Key)).ExecuteScalar()!);

    public bool Tombstone(long id, SqliteTransaction? tx = null) => Guard(() =>
        Prepared("UPDATE items SET deleted=1 WHERE id=$id AND deleted=0", tx, ("$id", id)).ExecuteNonQuery() > 0);

    public List<SegmentItem> ItemsOf(long segment, SqliteTransaction? tx = null) => Guard(() =>
    {
        using var c = Cmd("SELECT id,path,row,deleted FROM items WHERE segment=$s ORDER BY row", tx, ("$s", segment));
        using var r = c.ExecuteReader();
        var list = new List<SegmentItem>();
        while (r.Read()) list.Add(new SegmentItem(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3) != 0));
        return list;
    });

    /// <summary>Per segment: the lowest item row and one past the highest item row or chunk row the catalog names.</summary>
    public Dictionary<long, (long MinItemRow, long ItemEnd, long ChunkEnd)> RowEvidence(SqliteTransaction? tx = null) => Guard(() =>
    {
        var map = new Dictionary<long, (long, long, long)>();
        using (var c = Cmd("SELECT segment, MIN(row), MAX(row) + 1 FROM items GROUP BY segment", tx))
        using (var r = c.ExecuteReader())
            while (r.Read()) if (!r.IsDBNull(0)) map[r.GetInt64(0)] = (Long(r, 1), Long(r, 2), 0);
        using (var c = Cmd("SELECT segment, MAX(first_row + rows) FROM chunks GROUP BY segment", tx))
        using (var r = c.ExecuteReader())
            while (r.Read())
            {
                if (r.IsDBNull(0)) continue;
                var (min, end, _) = map.TryGetValue(r.GetInt64(0), out var v) ? v : (0, 0, 0);
                map[r.GetInt64(0)] = (min, end, Long(r, 1));
            }
        return map;
    });

    // A damaged table can hand back NULL where the schema says NOT NULL; Verify reports that, this must not throw.
    private static long Long(SqliteDataReader r, int i) => r.IsDBNull(i) ? 0 : r.GetInt64(i);

    private string ItemSelect => $"SELECT i.id,i.path,i.content_hash,i.size,i.added,i.labels,s.name,i.row,i.deleted,{KeyColumn} FROM items i JOIN segments s ON s.id=i.segment";

    public StoredItem? GetItem(string where, params (string, object?)[] args) => Guard(() =>
    {
        using var c = Cmd($"{ItemSelect} WHERE {where}", null, args);
        using var r = c.ExecuteReader();
        return r.Read() ? ReadItem(r) : null;
    });

    /// <summary>Live items in id order, a page at a time (LIMIT/OFFSET; ids are stable, so pages are too).</summary>
    public List<StoredItem> ListLive(long offset, int limit) => Guard(() =>
    {
        using var c = Cmd($"{ItemSelect} WHERE i.deleted=0 ORDER BY i.id LIMIT $l OFFSET $o", null, ("$l", limit), ("$o", offset));
        using var r = c.ExecuteReader();
        var list = new List<StoredItem>();
        while (r.Read()) list.Add(ReadItem(r));
        return list;
    });

    private static StoredItem ReadItem(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3),
            DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.IsDBNull(5) ? null : r.GetString(5),
            r.GetString(6), r.GetInt64(7), r.GetInt64(8) != 0, r.IsDBNull(9) ? null : r.GetString(9));

    /// <summary>Id, path and content hash of every live item, in id order.</summary>
    public List<(long Id, string Path, string Hash)> LiveItems() => Guard(() =>
    {
        using var c = Cmd("SELECT id,path,content_hash FROM items WHERE deleted=0 ORDER BY id");
        using var r = c.ExecuteReader();
        var list = new List<(long, string, string)>();
        while (r.Read()) list.Add((r.GetInt64(0), r.GetString(1), r.GetString(2)));
        return list;
    });

    public long Count(bool liveOnly) => (long)Scalar(liveOnly ? "SELECT COUNT(*) FROM items WHERE deleted=0" : "SELECT COUNT(*) FROM items")!;

    public void Dispose()
    {
        foreach (var c in _prepared.Values) c.Dispose();
        conn.Dispose();
    }
}
