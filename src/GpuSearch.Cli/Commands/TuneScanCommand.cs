// The scan half of `gpusearch tune`: measures the exact-scan tunables of the device's class (rows per work-item,
// batch query tile, select group size, groups per compute unit), each checked exactly against a host reference.
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Cli.Commands;

internal static class TuneScanCommand
{
    public static void Run(ComputeDevice dev, bool quick, bool json, TextWriter output, TextWriter log, string dir)
    {
        var cls = DeviceClassifier.Classify(dev.Info);
        var profile = TuningDefaults.For(cls);
        // Quick: keep the default's groups per CU (the least sensitive tunable) and a smaller database.
        var candidates = quick ? profile.ScanSearchSpace.Where(t => t.GroupsPerComputeUnit == profile.ScanDefault.GroupsPerComputeUnit).ToList()
            : profile.ScanSearchSpace.ToList();
        int rows = dev.Info.IsCpu ? (quick ? 32768 : 65536) : 1 << 20;
        var tuner = new ScanTuner(dev, rows, 256);
        log.WriteLine($"scan: {candidates.Prepend(profile.ScanDefault).Distinct().Count()} candidates × {ScanTuner.RepresentativeCases.Count} cases " +
                      $"({string.Join(", ", ScanTuner.RepresentativeCases.Select(c => $"Q={c.Queries} k={c.K}"))}) on {rows}×256");
        // Two rounds even when quick: one round on a loaded machine once stored a 3× "winner" that the full run ranks below the default.
        var result = tuner.Run(candidates, ScanTuner.RepresentativeCases, quick ? 2 : 3, dir,
            r => log.WriteLine($"  {r.Tiles,-44} {(r.Rejection is null ? $"{r.TotalMs,9:F2} ms" : "rejected: " + r.Rejection)}"));
        var speedup = result.DefaultResult.TotalMs / result.WinnerResult.TotalMs;
        if (json)
        {
            var doc = new
            {
                kind = "scan", device = dev.Info.Id, name = dev.Info.Name, driver = dev.Info.DriverVersion, device_class = cls.ToString(),
                cpu_model = DeviceClassifier.HostCpuModel, isa = result.Isa, @default = result.Default.ToString(), winner = result.Winner.ToString(),
                winner_tiles = result.Winner, default_ms = Finite(result.DefaultResult.TotalMs), winner_ms = result.WinnerResult.TotalMs, speedup = Finite(speedup), cache = result.CachePath,
                candidates = result.Candidates.Select(c => new
                {
                    tiles = c.Tiles.ToString(), total_ms = Finite(c.TotalMs), per_case_ms = c.PerCaseMs, rejected = c.Rejection,
                }),
            };
            output.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else
        {
            output.WriteLine($"scan winner {result.Winner}: {result.WinnerResult.TotalMs:F2} ms vs default {result.Default} {result.DefaultResult.TotalMs:F2} ms ({speedup:F2}×) on {result.Isa}");
            output.WriteLine($"stored in {result.CachePath}");
        }
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
