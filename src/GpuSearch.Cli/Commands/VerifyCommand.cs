// `gpusearch verify DB [--json]`: checks an index without changing it (read-only open: no recovery, no lock):
// SQLite's integrity check, row bookkeeping, every chunk's SHA-256, lengths, headers and sealed checksums.
// Exit 0 when healthy, 1 when anything is damaged, with the affected items and how to recover.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Store;

namespace GpuSearch.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var json = CliCommon.Json();
        var cmd = new Command("verify", "Check an index (catalog, every vector checksum) without changing it; exit 1 when damaged") { db, json };
        cmd.SetAction(r => Run(r.GetValue(db)!, r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string db, bool json, TextWriter output)
    {
        StoreCommands.RequireIndex(db);
        var report = IndexStore.VerifyFolder(db);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                folder = report.Folder, healthy = report.IsHealthy, live_items = report.LiveItems, intact_items = report.RecoverableItems,
                damaged_items = report.DamagedItems, segments_checked = report.SegmentsChecked,
                issues = report.Issues.Select(i => new
                {
                    severity = i.Severity.ToString().ToLowerInvariant(), subject = i.Subject, problem = i.Problem, recovery = i.Recovery,
                    affected_ids = i.AffectedIds, affected_paths = i.AffectedPaths,
                }),
            }, StoreCommands.Indented));
        }
        else output.Write(report.ToString());
        return report.IsHealthy ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
