// Runs make_cases.py once per test run: small TIFF/TGA/PNM files written by PIL, each with the pixels PIL decodes
// from it. Nothing binary is committed; the attribute skips (with the reason) where Debian's python3-pil is absent.
using System.Diagnostics;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Imaging.ImageSharpFormats;

internal static class PilCases
{
    private const string Python = "/usr/bin/python3";
    private static readonly Lazy<(string? Dir, string? Error)> Made = new(Make);

    /// <summary>Why the cases cannot be made here, or null.</summary>
    public static string? SkipReason { get; } = Probe();

    /// <summary>The folder holding the generated files (made on first use).</summary>
    public static string Dir => Made.Value.Dir ?? throw new InvalidOperationException(Made.Value.Error);

    private static string? Probe()
    {
        if (!File.Exists(Python)) return $"{Python} is absent (the TIFF/TGA/PNM cases are written by PIL)";
        var (code, _, err) = Run("-c \"import PIL, numpy\"");
        return code == 0 ? null : $"{Python} cannot import PIL and numpy ({err.Trim()}); apt-get install python3-pil python3-numpy";
    }

    private static (string?, string?) Make()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gpusearch-imagesharp-cases-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var script = Path.Combine(SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Imaging", "ImageSharpFormats", "make_cases.py");
        var (code, _, err) = Run($"\"{script}\" \"{dir}\"");
        return code == 0 ? (dir, null) : (null, $"make_cases.py failed ({code}): {err}");
    }

    /// <summary>Writes DIR/BASENAME.rgb, PIL's pixels, for each of <paramref name="files"/> that PIL decodes; returns
    /// make_cases.py's report (one line a file; PIL's refusals are tab-separated).</summary>
    public static string ExpectFromPil(string dir, IEnumerable<string> files)
    {
        var script = Path.Combine(SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Imaging", "ImageSharpFormats", "make_cases.py");
        var (code, stdout, err) = Run($"\"{script}\" \"{dir}\" --expect " + string.Join(' ', files.Select(f => $"\"{f}\"")));
        return code == 0 ? stdout : throw new InvalidOperationException($"make_cases.py --expect failed ({code}): {err}");
    }

    private static (int, string, string) Run(string args)
    {
        using var p = Process.Start(new ProcessStartInfo(Python, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }
}

/// <summary>A fact skipped unless /usr/bin/python3 has PIL and numpy.</summary>
internal sealed class PilFactAttribute : FactAttribute
{
    public PilFactAttribute()
    {
        if (PilCases.SkipReason is { } why) Skip = why;
    }
}
