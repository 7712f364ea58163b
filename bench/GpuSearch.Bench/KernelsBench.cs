// `gpusearch-bench kernels`: compiles every embedded kernel source for a device (NVRTC on CUDA, the OpenCL
// compiler elsewhere) with its default #defines, plus the scan kernel in every variant the exact scan launches on
// that device, and reports each: ok and compile time, or the compiler's message. Unlike the CUDA test that stops at
// the first failure, every source is tried, so one run lists every kernel that does not build.
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;
using GpuSearch.Search;

namespace GpuSearch.Bench;

internal static class KernelsBench
{
    private sealed record Row(string Kernel, string Defines, bool Ok, double CompileMs, string? Error);

    public static int Run(string[] args)
    {
        var o = BenchArgs.Parse(args);
        bool json = o.Flag("--json");
        using var device = DeviceRegistry.Default.Open(o.Str("--device", "auto"));
        Console.Error.WriteLine($"kernels on {device} ({device.Info.DriverVersion}); kernel cache {KernelCache.Directory ?? "off"}");
        var rows = new List<Row>();
        foreach (var file in KernelSource.EmbeddedFiles.Where(f => f.EndsWith(".cl", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            rows.Add(Compile(device, file, KernelDefines.Empty, json));
        // The scan as ExactScanner launches it: the device's scan tiles, each query-tile class, both list sizes, every storage.
        var tiles = TunedScanTiles.For(device.Info);
        foreach (var qt in new[] { 1, 4, 16, tiles.BatchQueryTile }.Distinct())
            foreach (var kf in new[] { 32, 256 })
                foreach (var storage in Enum.GetValues<VectorStorage>())
                    rows.Add(Compile(device, "scan_topk.cl", new KernelDefines().Set("ROWS", ScanTiles.TileRows).Set("QT", qt)
                        .Set("QB", ScanTiles.BlockFor(qt, tiles.QueryBlock)).Set("RPW", tiles.RowsPerWorkItem).Set("KF", kf).Set("DTYPE", (int)storage), json));
        rows.Add(Compile(device, "select_k.cl", new KernelDefines().Set("SEL_WG", Math.Min(tiles.SelectGroupSize, device.Info.MaxWorkGroupSize)).Set("GATHER_WG", 256), json));
        int failed = rows.Count(r => !r.Ok);
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { device = device.Info.Id, name = device.Info.Name, driver = device.Info.DriverVersion, failed, rows },
            new JsonSerializerOptions { WriteIndented = true }));
        else Console.WriteLine($"{rows.Count - failed} of {rows.Count} kernel builds ok, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static Row Compile(ComputeDevice device, string file, KernelDefines defines, bool json)
    {
        var sw = Stopwatch.StartNew();
        Row row;
        try
        {
            device.GetProgram(file, defines);
            row = new Row(file, defines.ToString(), true, sw.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception e) when (e is ComputeException or InvalidOperationException or FileNotFoundException or NotSupportedException)
        {
            var msg = e is KernelBuildException b ? $"{b.Message}\n{string.Join("\n", b.BuildLog.Split('\n').Take(20))}" : e.Message;
            row = new Row(file, defines.ToString(), false, sw.Elapsed.TotalMilliseconds, msg);
        }
        if (!json) Console.WriteLine($"{(row.Ok ? "ok  " : "FAIL")} {row.Kernel,-16} {row.CompileMs,8:F0} ms  {row.Defines}" + (row.Error is null ? "" : $"\n     {row.Error.Replace("\n", "\n     ")}"));
        return row;
    }
}
