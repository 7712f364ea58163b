// What the index maintenance commands (verify, repair, compact, prune) share.
using System.Text.Json;

namespace GpuSearch.Cli.Commands;

internal static class StoreCommands
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Refuses a folder that holds no index before anything opens (or creates) files in it.</summary>
    public static void RequireIndex(string db)
    {
        if (!File.Exists(Path.Combine(db, "catalog.sqlite")))
            throw new FileNotFoundException($"no index at {Path.GetFullPath(db)} (catalog.sqlite is missing)");
    }
}
