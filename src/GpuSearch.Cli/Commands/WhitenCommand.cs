// `gpusearch whiten DB [--dim K] [--shrink S] [--remove] [--json]`: learns a PCA-whitening from the index's own
// vectors and stores it in the index (whitening.bin); query, eval, dedup and serve then search whitened vectors.
// The raw vectors stay in the segments, so --remove (or deleting the file) returns to raw search.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace GpuSearch.Cli.Commands;

internal static class WhitenCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Index folder" };
        var dim = new Option<int?>("--dim") { Description = "Keep the strongest K axes (default: all)" };
        var shrink = new Option<double>("--shrink") { Description = "Variance shrinkage s in [0, 1]: 0 raw whitening (overfits a small index), 1 plain PCA rotation", DefaultValueFactory = _ => 0.5 };
        var remove = new Option<bool>("--remove") { Description = "Delete the stored whitening and search the raw vectors again" };
        var device = CliCommon.Device();
        var json = CliCommon.Json();
        var cmd = new Command("whiten", "Learn a PCA-whitening from the index's vectors and search with it (stored in the index)") { db, dim, shrink, remove, device, json };
        cmd.SetAction(r => Run(r.GetValue(db)!, r.GetValue(dim), r.GetValue(shrink), r.GetValue(remove), r.GetValue(device)!, r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string db, int? dim, double shrink, bool remove, string device, bool json, TextWriter output)
    {
        if (!(shrink >= 0 && shrink <= 1)) throw new ArgumentOutOfRangeException(nameof(shrink), shrink, "--shrink must be in [0, 1]");
        StoreCommands.RequireIndex(db);
        using var engine = ImageSearchEngine.Open(db, new EngineOptions { Device = device, CreateIfMissing = false });
        if (dim is { } k && (k < 1 || k > engine.Dimension))
            throw new ArgumentOutOfRangeException(nameof(dim), k, $"--dim must be in 1..{engine.Dimension}");
        if (remove)
        {
            bool removed = engine.RemoveWhitening();
            output.WriteLine(json ? JsonSerializer.Serialize(new { folder = engine.Folder, removed })
                : removed ? $"removed the whitening of {engine.Folder}; it searches raw {engine.Dimension}-d vectors" : $"{engine.Folder} had no whitening");
            return ExitCodes.Ok;
        }
        var w = engine.Whiten(dim, shrink);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new
            {
                folder = engine.Folder, input_dim = w.Whitening.InputDimension, output_dim = w.Whitening.OutputDimension,
                shrinkage = w.Whitening.Shrinkage, rows = w.TrainedRows, fingerprint = w.FingerprintHash,
            }, StoreCommands.Indented));
        else
            output.WriteLine($"whitened {engine.Folder}: {w.Whitening.InputDimension} → {w.Whitening.OutputDimension} dims, " +
                $"shrinkage {w.Whitening.Shrinkage.ToString(CultureInfo.InvariantCulture)}, learned from {w.TrainedRows} vectors");
        return ExitCodes.Ok;
    }
}
