// Options and output helpers shared by the product commands (index, query, eval, embed), so each flag
// means the same thing everywhere and human output behaves the same in terminals and pipes.
using System.CommandLine;
using GpuSearch.Imaging;
using Spectre.Console;

namespace GpuSearch.Cli;

internal static class CliCommon
{
    public static Option<string> Device() => new("--device") { Description = "Device: auto, cpu, cuda:N, opencl:N", DefaultValueFactory = _ => "auto" };
    public static Option<string?> Model() => new("--model") { Description = "ONNX model (default: the index's model, else the default model)" };
    public static Option<string?> Preprocess() => new("--preprocess")
    { Description = $"Preprocessing: a preset ({string.Join(", ", PreprocessPresets.Names)}) or a spec .json file" };
    public static Option<string?> Output() => new("--output-name") { Description = "Model output to use as the embedding (default: 'embedding', else the first)" };
    public static Option<string?> Pool() => new("--pool")
    { Description = "gem[:p]: GeM-pool the [N,C,H,W] feature map named by --output-name into the embedding, on the device (p default 3)" };
    public static Models.GemPooling? ParsePool(string? value) => string.IsNullOrEmpty(value) ? null : Models.GemPooling.Parse(value);
    public static Option<int> Batch() => new Option<int>("--batch") { Description = "Images per inference batch", DefaultValueFactory = _ => 32 }.AtLeast(1);
    public static Option<int> Workers() => new Option<int>("--workers") { Description = "Decode threads", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
    public static Option<bool> Json() => new("--json") { Description = "Write machine-readable JSON to stdout" };
    public static Option<string> Db(bool required = true) => new("--db") { Description = "Index folder", Required = required };

    public static Argument<string[]> Inputs(string what) => new("inputs")
    { Description = $"{what}: image files, folders (recursive) or list files (.txt/.lst, one path per line)", Arity = ArgumentArity.OneOrMore };

    /// <summary>
    /// Parses --preprocess: a preset name or a JSON spec file. A geometry preset (letterbox, trim-letterbox) keeps the
    /// normalization of <paramref name="modelPath"/> (else the default model): its sidecar or built-in spec.
    /// </summary>
    public static PreprocessSpec? ParsePreprocess(string? value, string? modelPath = null)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (PreprocessPresets.GeometryNames.Contains(value, StringComparer.OrdinalIgnoreCase))
            return PreprocessPresets.Get(value, ImageSearchEngine.PreprocessFor(Path.GetFullPath(modelPath ?? Embedding.DefaultModel.RequirePath())));
        if (PreprocessPresets.Names.Contains(value, StringComparer.OrdinalIgnoreCase)) return PreprocessPresets.Get(value);
        if (File.Exists(value)) return PreprocessSpecJson.Read(File.ReadAllText(value));
        throw new ArgumentException($"--preprocess '{value}' is neither a preset ({string.Join(", ", PreprocessPresets.Names)}) nor an existing .json file");
    }

    /// <summary>A Spectre console over <paramref name="output"/>; plain text (no colour codes, wide) when it is not a terminal.</summary>
    public static IAnsiConsole Console(TextWriter output)
    {
        var redirected = System.Console.IsOutputRedirected || output != System.Console.Out;
        var c = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) c.Profile.Width = 200;
        return c;
    }

    /// <summary>A token cancelled by Ctrl+C (the first press stops after the batch in flight).</summary>
    public static CancellationToken CtrlC()
    {
        var cts = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            System.Console.Error.WriteLine("stopping after the batch in flight (Ctrl+C again to abort)...");
            cts.Cancel();
        };
        return cts.Token;
    }

    public static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
