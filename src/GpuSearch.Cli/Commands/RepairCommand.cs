// `gpusearch repair DB [--json]`: makes a damaged index healthy again, keeping every row that verifies. Nothing is
// deleted: replaced segment files and cut bytes go to DB/quarantine/<time>/ with a README; items whose vectors were
// damaged are dropped from the index and listed so a re-run of `index` re-embeds them.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Store;

namespace GpuSearch.Cli.Commands;

internal static class RepairCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var json = CliCommon.Json();
        var cmd = new Command("repair", "Repair a damaged index: quarantine what is damaged (never delete), keep every row that verifies") { db, json };
        cmd.SetAction(r => Run(r.GetValue(db)!, r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string db, bool json, TextWriter output)
    {
        StoreCommands.RequireIndex(db);
        using var store = IndexStore.Open(db);
        var recovered = store.RecoveryLog.ToList();
        var r = store.Repair();
        var after = store.Verify();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                folder = store.Folder, healthy = after.IsHealthy, recovered, dropped_ids = r.DroppedIds, paths_to_re_add = r.PathsToReAdd,
                segments_rewritten = r.Compaction.SegmentsRewritten, quarantine = store.QuarantineFolder, quarantined = r.Quarantined,
            }, StoreCommands.Indented));
        }
        else
        {
            foreach (var l in recovered) output.WriteLine($"recovered: {l}");
            output.WriteLine($"dropped {r.DroppedIds.Count} items whose vectors were damaged or lost; rewrote {r.Compaction.SegmentsRewritten} segments");
            foreach (var p in r.PathsToReAdd) output.WriteLine($"  re-add: {p}");
            foreach (var m in r.Quarantined) output.WriteLine($"moved to quarantine: {m}");
            if (store.QuarantineFolder is not null) output.WriteLine($"nothing was deleted; see {store.QuarantineFolder}/README.txt");
            output.WriteLine(after.IsHealthy ? $"index {store.Folder}: healthy, {after.LiveItems} live items"
                : $"index {store.Folder}: still damaged:\n{after}");
        }
        return after.IsHealthy ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
