// `gpusearch compact DB [--json]`: rewrites the segments that hold deleted rows so they hold live rows only.
// Crash-safe: new files are complete and fsynced before one catalog transaction swaps them in.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Store;

namespace GpuSearch.Cli.Commands;

internal static class CompactCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var json = CliCommon.Json();
        var cmd = new Command("compact", "Rewrite segments without deleted rows (crash-safe); ids do not change") { db, json };
        cmd.SetAction(r => Run(r.GetValue(db)!, r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string db, bool json, TextWriter output)
    {
        StoreCommands.RequireIndex(db);
        using var store = IndexStore.Open(db);
        foreach (var l in store.RecoveryLog) Console.Error.WriteLine($"recovered: {l}");
        var r = store.Compact();
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new
            {
                folder = store.Folder, segments_rewritten = r.SegmentsRewritten, items_removed = r.ItemsRemoved, bytes_reclaimed = r.BytesReclaimed,
                live_items = store.Count,
            }, StoreCommands.Indented));
        else
            output.WriteLine($"compacted {store.Folder}: rewrote {r.SegmentsRewritten} segments, removed {r.ItemsRemoved} deleted items, " +
                $"reclaimed {r.BytesReclaimed} bytes; {store.Count} live items");
        return ExitCodes.Ok;
    }
}
