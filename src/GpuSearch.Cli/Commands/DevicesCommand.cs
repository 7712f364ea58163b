// `gpusearch devices [--json]`: every compute device, and why any backend is unavailable.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Compute;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

internal static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to stdout" };
        var cmd = new Command("devices", "List compute devices (OpenCL, CUDA) and why any backend is unavailable") { json };
        cmd.SetAction(r => Run(r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(bool json, TextWriter output)
    {
        var reg = DeviceRegistry.Default;
        if (json)
        {
            var doc = new
            {
                devices = reg.Devices.Select(d => new
                {
                    id = d.Id, backend = d.Backend.ToString().ToLowerInvariant(), name = d.Name, vendor = d.Vendor,
                    driver = d.DriverVersion, memory_bytes = d.GlobalMemoryBytes, max_alloc_bytes = d.MaxAllocationBytes,
                    local_memory_bytes = d.LocalMemoryBytes, cache_bytes = d.CacheBytes, compute_units = d.ComputeUnits,
                    max_work_group_size = d.MaxWorkGroupSize, fp16 = d.SupportsFp16, fp64 = d.SupportsFp64,
                    type = d.IsCpu ? "cpu" : "gpu",
                }),
                backends = reg.Backends.Select(b => new
                {
                    backend = b.Backend.ToString().ToLowerInvariant(), available = b.UnavailableReason is null,
                    reason = b.UnavailableReason, devices = b.Devices.Count,
                }),
                auto = reg.Devices.Count > 0 ? reg.Resolve("auto")[0].Id : null,
            };
            output.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("id", "backend", "type", "name", "memory", "CUs", "max WG", "fp16", "fp64");
        foreach (var d in reg.Devices)
            table.AddRow(d.Id, d.Backend.ToString(), d.IsCpu ? "cpu" : "gpu", Markup.Escape(d.Name),
                $"{d.GlobalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB", d.ComputeUnits.ToString(),
                d.MaxWorkGroupSize.ToString(), d.SupportsFp16 ? "yes" : "no", d.SupportsFp64 ? "yes" : "no");
        var console = CliCommon.Console(output);
        console.Write(table);
        foreach (var b in reg.Backends.Where(b => b.UnavailableReason is not null))
            console.MarkupLine($"[yellow]{b.Backend} unavailable:[/] {Markup.Escape(b.UnavailableReason!)}");
        if (reg.Devices.Count > 0) console.MarkupLine($"auto selects [bold]{reg.Resolve("auto")[0].Id}[/]");
        return ExitCodes.Ok;
    }
}
