// `gpusearch tune [--device D] [--kernels conv,scan] [--quick] [--json]`: measures the conv tile and exact-scan search
// spaces of the device's class on the device itself, checks every candidate against a host reference and stores the
// fastest correct one in the tuning cache (beside the kernel cache), where every later run on this device + driver +
// kernel picks it up.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Cli.Commands;

internal static class TuneCommand
{
    public static Command Create()
    {
        var device = CliCommon.Device();
        var quick = new Option<bool>("--quick") { Description = "Fewer candidates and shapes, one timed run each (about a third of the time)" };
        var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to stdout" };
        var kernels = new Option<string>("--kernels") { Description = "Which tunables: conv, scan or conv,scan", DefaultValueFactory = _ => "conv,scan" };
        var cmd = new Command("tune", "Measure conv tiles and exact-scan tunables on this device and cache the fastest correct ones") { device, quick, json, kernels };
        cmd.SetAction(r => Run(r.GetValue(device)!, r.GetValue(quick), r.GetValue(json), Console.Out, Console.Error, r.GetValue(kernels)!));
        return cmd;
    }

    public static int Run(string selection, bool quick, bool json, TextWriter output, TextWriter log, string kernels = "conv,scan")
    {
        var kinds = kernels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (kinds.Count == 0 || kinds.Any(k => k is not ("conv" or "scan")))
            throw new ArgumentException($"--kernels must name conv, scan or both (got '{kernels}')");
        var dir = TuningCache.DefaultDirectory
            ?? throw new InvalidOperationException("the kernel cache is off (GPUSEARCH_KERNEL_CACHE=off): nowhere to store tuned values");
        using var dev = DeviceRegistry.Default.Open(selection);
        if (kinds.Contains("conv")) TuneConv(dev, quick, json, output, log, dir);
        if (kinds.Contains("scan")) TuneScanCommand.Run(dev, quick, json, output, log, dir);
        return ExitCodes.Ok;
    }

    private static void TuneConv(ComputeDevice dev, bool quick, bool json, TextWriter output, TextWriter log, string dir)
    {
        var cls = DeviceClassifier.Classify(dev.Info);
        var space = TuningDefaults.For(cls).ConvSearchSpace;
        // Quick: the register tiles nearest the shipped default's size, and the two 3×3 shapes (what lazy tuning measures).
        var candidates = quick ? ConvTuner.QuickCandidates(space, dev.Info.IsCpu) : space.ToList();
        var shapes = quick ? ConvTuner.QuickShapes : ConvTuner.RepresentativeShapes;
        log.WriteLine($"tuning {dev.Info.Id} ({dev.Info.Name}, {dev.Info.DriverVersion}); class {cls}; CPU {DeviceClassifier.HostCpuModel}, ISA {DeviceClassifier.HostCpuIsa}");
        log.WriteLine($"{candidates.Prepend(TuningDefaults.For(cls).ConvDefault).Distinct().Count()} candidates × {shapes.Count} shapes: {string.Join(", ", shapes.Select(ConvTuner.Describe))}");
        var result = new ConvTuner(dev).Run(candidates, shapes, quick ? 1 : 3, dir,
            r => log.WriteLine($"  {Name(r.Tiles),-24} {(r.Rejection is null ? $"{r.TotalMs,9:F2} ms" : "rejected: " + r.Rejection)}"));
        var speedup = result.DefaultResult.TotalMs / result.WinnerResult.TotalMs;
        if (json)
        {
            var doc = new
            {
                device = dev.Info.Id, name = dev.Info.Name, driver = dev.Info.DriverVersion, device_class = cls.ToString(),
                cpu_model = DeviceClassifier.HostCpuModel, isa = result.Isa,
                @default = Name(result.Default), winner = Name(result.Winner), winner_tiles = result.Winner,
                default_ms = Finite(result.DefaultResult.TotalMs), winner_ms = result.WinnerResult.TotalMs, speedup = Finite(speedup), cache = result.CachePath,
                candidates = result.Candidates.Select(c => new
                {
                    tiles = Name(c.Tiles), total_ms = Finite(c.TotalMs), per_shape_ms = c.PerShapeMs, rejected = c.Rejection,
                }),
            };
            output.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else
        {
            output.WriteLine($"winner {Name(result.Winner)}: {result.WinnerResult.TotalMs:F2} ms vs default {Name(result.Default)} {result.DefaultResult.TotalMs:F2} ms ({speedup:F2}×) on {result.Isa}");
            output.WriteLine($"stored in {result.CachePath}");
        }
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>A candidate as "6×64 regs, 24×64×64 tile".</summary>
    internal static string Name(ConvTiles t) =>
        $"{t.WorkPerThreadM}×{t.WorkPerThreadN} regs, {t.TileM}×{t.TileN}×{t.TileK}";
}
