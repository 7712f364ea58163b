// `gpusearch prune DB [--dry-run] [--json]`: deletes index entries whose image file no longer exists (an index keyed
// by absolute path keeps ghosts after a folder rename). --dry-run only lists them (read-only open, nothing written).
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Store;

namespace GpuSearch.Cli.Commands;

internal static class PruneCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the entries whose files are gone; change nothing" };
        var json = CliCommon.Json();
        var cmd = new Command("prune", "Delete entries whose image files no longer exist (then `compact` reclaims their space)") { db, dryRun, json };
        cmd.SetAction(r => Run(r.GetValue(db)!, r.GetValue(dryRun), r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string db, bool dryRun, bool json, TextWriter output)
    {
        StoreCommands.RequireIndex(db);
        using var store = dryRun ? IndexStore.OpenReadOnly(db) : IndexStore.Open(db);
        var missing = store.PruneMissing(dryRun);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new
            {
                folder = store.Folder, dry_run = dryRun, missing = missing.Select(m => new { id = m.Id, path = m.Path }), live_items = store.Count,
            }, StoreCommands.Indented));
        else
        {
            foreach (var m in missing) output.WriteLine($"{(dryRun ? "missing" : "pruned")}: {m.Path} (id {m.Id})");
            output.WriteLine(dryRun
                ? $"{missing.Count} entries name files that no longer exist; run without --dry-run to delete them"
                : $"pruned {missing.Count} entries whose files no longer exist; {store.Count} live items" +
                  (missing.Count > 0 ? "; `gpusearch compact` reclaims their space" : ""));
        }
        return ExitCodes.Ok;
    }
}
