// Catalog access for caller keys and metadata filters. A catalog of format 1 (opened read-only, so not upgraded)
// has no key column: there every key lookup finds nothing and every item reads with a null key.
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Store;

internal sealed partial class Catalog
{
    private bool? _hasKeys;

    /// <summary>Whether items has the key column (format 2 and later).</summary>
    public bool HasKeys => _hasKeys ??= Guard(() =>
    {
        using var c = Cmd("SELECT COUNT(*) FROM pragma_table_info('items') WHERE name='key'");
        return (long)c.ExecuteScalar()! > 0;
    });

    /// <summary>The key column for item selects: <c>i.key</c>, or NULL where the catalog has none.</summary>
    public string KeyColumn => HasKeys ? "i.key" : "NULL";

    /// <summary>Called after a schema change so the next statement looks at the columns again.</summary>
    public void ForgetColumns()
    {
        _hasKeys = null;
        foreach (var c in _prepared.Values) c.Dispose();
        _prepared.Clear();
    }

    /// <summary>The live item with caller key <paramref name="key"/>: its id and content hash.</summary>
    public (long Id, string Hash)? FindLiveKey(string key, SqliteTransaction? tx = null) => !HasKeys ? null : Guard<(long Id, string Hash)?>(() =>
    {
        var c = Prepared("SELECT id, content_hash FROM items WHERE key=$k AND deleted=0", tx, ("$k", key));
        using var r = c.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : null;
    });

    /// <summary>Ids of the live items that have a caller key.</summary>
    public HashSet<long> LiveKeyedIds() => !HasKeys ? [] : Guard(() =>
    {
        using var c = Cmd("SELECT id FROM items WHERE deleted=0 AND key IS NOT NULL");
        using var r = c.ExecuteReader();
        var ids = new HashSet<long>();
        while (r.Read()) ids.Add(r.GetInt64(0));
        return ids;
    });

    /// <summary>Ids of live items whose labels satisfy every condition of <paramref name="filter"/>, ascending.</summary>
    public List<long> FilterIds(SearchFilter filter) => Guard(() =>
    {
        var (where, args) = CatalogFilterSql.Where(filter, "labels");
        using var c = Cmd($"SELECT id FROM items WHERE deleted=0 AND {where} ORDER BY id", null, args);
        using var r = c.ExecuteReader();
        var ids = new List<long>();
        while (r.Read()) ids.Add(r.GetInt64(0));
        return ids;
    });
}

/// <summary>Turns a <see cref="SearchFilter"/> into a WHERE clause over a JSON column; every value and JSON path is a parameter.</summary>
internal static class CatalogFilterSql
{
    public static (string Where, (string, object?)[] Args) Where(SearchFilter filter, string column)
    {
        var args = new List<(string, object?)>();
        string Arg(object? v)
        {
            var name = "$a" + args.Count.ToString(CultureInfo.InvariantCulture);
            args.Add((name, v));
            return name;
        }
        // JSON types are compared strictly: "5" never equals 5, and true never equals 1 (json_extract alone would say it does).
        string Eq(string p, object value) => value switch
        {
            bool b => $"json_type({column},{p})='{(b ? "true" : "false")}'",
            string s => $"(json_type({column},{p})='text' AND json_extract({column},{p})={Arg(s)})",
            double d => $"(json_type({column},{p}) IN ('integer','real') AND json_extract({column},{p})={Arg(d)})",
            _ => throw new ArgumentException($"unsupported filter value {value}"),
        };
        var parts = new List<string>();
        foreach (var cond in filter.Conditions)
        {
            var p = Arg(FilterCondition.JsonPath(cond.Field));
            parts.Add(cond switch
            {
                EqualsCondition e => Eq(p, e.Value),
                InCondition i => "(" + string.Join(" OR ", i.Values.Select(v => Eq(p, v))) + ")",
                RangeCondition r => $"(json_type({column},{p}) IN ('integer','real')" +
                    (r.Min is { } lo ? $" AND json_extract({column},{p})>={Arg(lo)}" : "") +
                    (r.Max is { } hi ? $" AND json_extract({column},{p})<={Arg(hi)}" : "") + ")",
                _ => throw new ArgumentException($"unsupported filter condition {cond.GetType().Name}"),
            });
        }
        return (parts.Count == 0 ? "1" : string.Join(" AND ", parts), args.ToArray());
    }
}
