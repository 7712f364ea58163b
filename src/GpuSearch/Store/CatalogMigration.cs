// Upgrades of catalog.sqlite from older format versions. Steps only add (columns, indexes): they never drop a
// row or a column, so an upgrade cannot lose data; the whole upgrade is one transaction, so a crash mid-way
// leaves the old version intact and the next open runs it again.
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Store;

internal static class CatalogMigration
{
    /// <summary>Step i upgrades version i+1 to version i+2.</summary>
    private static readonly string[] Steps =
    [
        // 1 → 2: caller keys. At most one live item per key; the one-live-item-per-path rule now covers only
        // items without a key (two SKUs may share one photo). Dropping an index drops no data.
        """
        ALTER TABLE items ADD COLUMN key TEXT;
        DROP INDEX items_live_path;
        CREATE UNIQUE INDEX items_live_path ON items(path) WHERE deleted = 0 AND key IS NULL;
        CREATE UNIQUE INDEX items_live_key ON items(key) WHERE deleted = 0 AND key IS NOT NULL;
        """,
    ];

    /// <summary>Runs the steps from <paramref name="fromVersion"/> to <see cref="CatalogSchema.FormatVersion"/> inside <paramref name="tx"/>.</summary>
    public static void Upgrade(Catalog cat, int fromVersion, SqliteTransaction tx)
    {
        if (fromVersion < 1) throw new StoreCorruptException($"{cat.FilePath}: format_version {fromVersion} is not a version this build knows");
        for (int v = fromVersion; v < CatalogSchema.FormatVersion; v++) cat.Exec(Steps[v - 1], tx);
        cat.SetMeta("format_version", CatalogSchema.FormatVersion.ToString(CultureInfo.InvariantCulture), tx);
        cat.ForgetColumns();
    }
}
