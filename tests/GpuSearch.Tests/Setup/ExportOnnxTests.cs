// Issue 12 item 17: README's "Your own model" export silently produced random weights, and `--weights DEFAULT`
// offline died in a download traceback. tools/export_onnx.py now refuses both with one `error:` line that
// says what to do, and a weights file put where that line says is used. Runs Debian's /usr/bin/python3 with
// an empty TORCH_HOME, so the host's torch hub cache plays no part.
using System.Diagnostics;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Setup;

public sealed class ExportOnnxTests : IDisposable
{
    private readonly string _torchHome = Directory.CreateTempSubdirectory("gpusearch-torch-home-").FullName;

    public void Dispose() => Directory.Delete(_torchHome, recursive: true);

    private string Out => Path.Combine(_torchHome, "model.onnx");

    [TorchvisionFact]
    public void WeightsDefaultOfflineIsRefusedNamingWhereTheFileGoes()
    {
        var (code, stdout, stderr) = Export("torchvision:resnet18", Out, "--weights", "DEFAULT");
        var line = OneErrorLine(stderr);
        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(_torchHome, "hub", "checkpoints", "resnet18-"), line); // where to put it
        Assert.Contains("https://download.pytorch.org/models/resnet18-", line);           // where to get it
        Assert.Contains("--checkpoint", line);
        Assert.Equal("", stdout.Trim());
        Assert.False(File.Exists(Out));
    }

    [TorchvisionFact]
    public void NoWeightsIsRefusedAsRandom()
    {
        var (code, _, stderr) = Export("torchvision:resnet18", Out);
        Assert.Equal(2, code);
        Assert.Contains("random weights", OneErrorLine(stderr));
        Assert.False(File.Exists(Out));
    }

    [TorchvisionFact]
    public void WeightsFilePutInTheCacheIsUsed()
    {
        // A state_dict saved where the refusal said; its values are random, only the path and format matter.
        var refusal = OneErrorLine(Export("torchvision:resnet18", Out, "--weights", "DEFAULT").Stderr);
        var path = refusal.Split(' ').First(w => w.StartsWith(Path.Combine(_torchHome, "hub"), StringComparison.Ordinal));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var save = Python(["-c", "import sys, torch, torchvision; torch.manual_seed(7); torch.save(torchvision.models.resnet18().state_dict(), sys.argv[1])", path]);
        Assert.True(save.Code == 0, save.Stderr);

        var (code, stdout, stderr) = Export("torchvision:resnet18", Out, "--weights", "DEFAULT", "--features", "--size", "64");
        Assert.True(code == 0, stderr);
        Assert.Contains("wrote", stdout);
        Assert.True(new FileInfo(Out).Length > 1_000_000, "resnet18's weights are in the export");
    }

    private static string OneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"one line expected on stderr:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("Traceback", stderr);
        return lines[0];
    }

    private (int Code, string Stdout, string Stderr) Export(params string[] args) =>
        Python([Path.Combine(SharedData.RepoRoot, "tools", "export_onnx.py"), .. args]);

    private (int Code, string Stdout, string Stderr) Python(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(TorchvisionFixtures.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TORCH_HOME"] = _torchHome;
        psi.Environment["PYTHONWARNINGS"] = "ignore"; // torch.onnx's export warnings are not errors
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); throw new TimeoutException("export_onnx.py ran past 5 minutes"); }
        return (p.ExitCode, stdout, stderr.Result);
    }
}

/// <summary>A fact skipped unless /usr/bin/python3 can import torch and torchvision.</summary>
internal sealed class TorchvisionFactAttribute : FactAttribute
{
    public TorchvisionFactAttribute()
    {
        if (TorchvisionFixtures.SkipReason is { } why) Skip = why;
    }
}
