// Issue 12 item 14: Debian's libonnx-testdata puts a bare onnx/ folder into dist-packages, so `import onnx`
// succeeded without python3-onnx, the set-up skipped installing it and tfjs_to_onnx.py died on
// `from onnx import TensorProto`. These run the real probes against such a folder (with site-packages off,
// so the host's own onnx cannot hide the bug) and check that every import of every script has a probe.
using System.Diagnostics;
using System.Text.RegularExpressions;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Setup;

public sealed class PythonDepsTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _bare = Path.Combine(Path.GetTempPath(), "gpusearch-bare-onnx-" + Guid.NewGuid().ToString("N"));

    public PythonDepsTests()
    {
        Directory.CreateDirectory(Path.Combine(_bare, "onnx", "backend"));
        // A stand-in numpy (a real package) so a probe can only fail on onnx.
        Directory.CreateDirectory(Path.Combine(_bare, "numpy"));
        File.WriteAllText(Path.Combine(_bare, "numpy", "__init__.py"), "");
    }

    public void Dispose() => Directory.Delete(_bare, recursive: true);

    private static string Script(string relative) => Path.Combine(SharedData.RepoRoot, relative);

    [PythonFact]
    public void BareOnnxFolderImportsButTheProbeReportsPython3OnnxMissing()
    {
        // The trap itself: a namespace folder satisfies `import onnx`.
        Assert.Equal(0, Run(["-S", "-c", "import onnx"], _bare).Code);
        var (code, stdout, _) = Run(["-S", Script("scripts/python-deps.py")], _bare);
        Assert.Equal(0, code);
        var missing = stdout.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("python3-onnx", missing);
        Assert.DoesNotContain("python3-numpy", missing);
    }

    [PythonFact]
    public void FetchScriptProbeFailsOnABareOnnxFolder()
    {
        var text = File.ReadAllText(Script("scripts/fetch-default-model.sh"));
        var probe = Regex.Match(text, "/usr/bin/python3 -c \"([^\"]*onnx[^\"]*)\"");
        Assert.True(probe.Success, "scripts/fetch-default-model.sh has no /usr/bin/python3 -c probe for onnx");
        Assert.NotEqual(0, Run(["-S", "-c", probe.Groups[1].Value], _bare).Code);
    }

    [PythonFact]
    public void EveryPythonImportOfTheRepositoryHasAProbe()
    {
        var files = new[] { "tools", "bench", "scripts" }
            .SelectMany(d => Directory.GetFiles(Script(d), "*.py")).ToList();
        Assert.Contains(files, f => f.EndsWith("tfjs_to_onnx.py"));
        var (code, stdout, stderr) = Run([Script("scripts/python-deps.py"), "--audit", .. files], null);
        Assert.True(code == 0, stderr);
        Assert.Equal("", stdout.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(IEnumerable<string> args, string? pythonPath)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (pythonPath is not null) psi.Environment["PYTHONPATH"] = pythonPath;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }
}

/// <summary>A fact skipped when Debian's /usr/bin/python3 is absent.</summary>
internal sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (!File.Exists("/usr/bin/python3")) Skip = "/usr/bin/python3 is absent (scripts/setup.sh installs Debian's python3)";
    }
}
