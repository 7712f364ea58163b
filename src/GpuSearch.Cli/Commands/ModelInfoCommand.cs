// `gpusearch model-info MODEL [--json]`: loads an ONNX model through the engine's reader, validator and
// optimizer and prints inputs, outputs, op counts before/after optimization, parameters, FLOPs and versions.
using System.CommandLine;
using System.Text.Json;
using GpuSearch.Models;
using Spectre.Console;

namespace GpuSearch.Cli.Commands;

/// <summary>The model-info subcommand (public so tests can call <see cref="Run"/> directly; the CLI grants tests no internals).</summary>
public static class ModelInfoCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "Path of an .onnx model" };
        var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to stdout" };
        var cmd = new Command("model-info", "Describe an ONNX model: inputs, outputs, ops before/after optimization, parameters, FLOPs") { model, json };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(FileInfo model, bool json, TextWriter output)
    {
        if (!model.Exists) throw new FileNotFoundException($"model file '{model.FullName}' does not exist");
        var info = ModelInfo.Load(model.FullName);
        if (json)
        {
            var doc = new
            {
                path = info.Path, ir_version = info.IrVersion, opset = info.Opset, producer = info.Producer,
                inputs = info.Inputs.Select(t => new { name = t.Name, dtype = t.DataType, shape = t.Shape }),
                outputs = info.Outputs.Select(t => new { name = t.Name, dtype = t.DataType, shape = t.Shape }),
                ops_before = info.OpsBefore, ops_after = info.OpsAfter, rewrites = info.RuleApplications.Where(kv => kv.Value > 0).ToDictionary(),
                parameters = info.Parameters, attention_blocks = info.AttentionBlocks, macs_per_image = info.MacsPerImage, flops_per_image = info.FlopsPerImage,
                fixed_batch = info.FixedBatchReason,
            };
            output.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        var console = CliCommon.Console(output);
        console.MarkupLine($"[bold]{Markup.Escape(info.Path)}[/]");
        console.MarkupLine($"IR version {info.IrVersion}, opset {info.Opset}, producer {Markup.Escape(info.Producer.Length > 0 ? info.Producer : "(none)")}");
        var io = new Table().AddColumns("", "name", "dtype", "shape");
        foreach (var t in info.Inputs) io.AddRow("input", Markup.Escape(t.Name), t.DataType, Markup.Escape(t.Shape));
        foreach (var t in info.Outputs) io.AddRow("output", Markup.Escape(t.Name), t.DataType, Markup.Escape(t.Shape));
        console.Write(io);
        var ops = new Table().AddColumns("op", "before", "after");
        foreach (var op in info.OpsBefore.Keys.Union(info.OpsAfter.Keys).Order(StringComparer.Ordinal))
            ops.AddRow(op, info.OpsBefore.GetValueOrDefault(op).ToString(), info.OpsAfter.GetValueOrDefault(op).ToString());
        ops.AddRow("[bold]total[/]", info.OpsBefore.Values.Sum().ToString(), info.OpsAfter.Values.Sum().ToString());
        console.Write(ops);
        console.MarkupLine($"parameters: {info.Parameters:N0} ({info.Parameters / 1e6:F2} M)");
        if (info.AttentionBlocks > 0) console.MarkupLine($"attention blocks: {info.AttentionBlocks}");
        console.MarkupLine($"per image: {info.MacsPerImage / 1e9:F3} GMAC = {info.FlopsPerImage / 1e9:F3} GFLOP");
        if (info.FixedBatchReason is { } why) console.MarkupLine($"[yellow]batch fixed at 1[/]: {Markup.Escape(why)}");
        return ExitCodes.Ok;
    }
}
