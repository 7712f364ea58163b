// Issue 12 item 16: a misspelt flag (`--bacth 8`) was taken as an input path, exited 1 and had already
// created an empty index. Every usage error runs the real `gpusearch` process and must exit 2 with one
// `error:` line on stderr, nothing on stdout, and no --db folder afterwards. The model is a tiny generated
// one that opens, so an index folder would be created if the command got as far as running.
using System.Diagnostics;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Cli;

public sealed class UsageErrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("unknown option '--bacth'", "index", "{img}", "--bacth", "8", "--db", "{db}", "--model", "{model}")]
    [InlineData("did you mean --batch?", "index", "{img}", "--db", "{db}", "--model", "{model}", "--bacth", "8")]
    [InlineData("-k must be at least 1 (got 0)", "query", "{img}", "--db", "{db}", "-k", "0")]
    [InlineData("--batch must be at least 1", "index", "{img}", "--db", "{db}", "--model", "{model}", "--batch", "0")]
    [InlineData("'abc'", "index", "{img}", "--db", "{db}", "--model", "{model}", "--batch", "abc")]
    [InlineData("--workers must be at least 1", "index", "{img}", "--db", "{db}", "--model", "{model}", "--workers", "-3")]
    [InlineData("'missing.jpg' is neither a file nor a folder", "index", "missing.jpg", "--db", "{db}", "--model", "{model}")]
    [InlineData("--preprocess 'nope'", "index", "{img}", "--db", "{db}", "--model", "{model}", "--preprocess", "nope")]
    [InlineData("No device matches 'bogus'", "index", "{img}", "--db", "{db}", "--model", "{model}", "--device", "bogus")]
    [InlineData("Required argument 'inputs' missing", "index", "--db", "{db}", "--model", "{model}")]
    [InlineData("unknown command or argument 'idnex'", "idnex", "{img}", "--db", "{db}")]
    [InlineData("--space '=1' needs a space name", "dedup", "{db}", "--space", "=1")]
    [InlineData("weight '-1' must be a finite number >= 0", "dedup", "{db}", "--space", "color=-1")]
    [InlineData("--space names 'color' twice", "dedup", "{db}", "--space", "color", "--space", "color=2")]
    [InlineData("weight '' must be a finite number >= 0", "serve", "--db", "{db}", "--space", "x=")]
    [InlineData("--k must be at least 1", "knn", "--base", "{img}", "--queries", "{img}", "-k", "0", "--out", "{db}")]
    public void UsageErrorExitsTwoWithOneLineAndNoSideEffect(string expected, params string[] args)
    {
        var img = Path.Combine(_dir.Path, "photo.jpg");
        File.WriteAllBytes(img, [0xFF, 0xD8, 0xFF]);
        var db = Path.Combine(_dir.Path, "db");
        var model = TinyEmbeddingModel();
        var argv = args.Select(a => a.Replace("{img}", img).Replace("{db}", db).Replace("{model}", model)).ToArray();

        AssertRefused(_dir.Path, argv, expected, db);
    }

    /// <summary>
    /// Runs the CLI and checks a usage error: exit 2, nothing on stdout, one <c>error:</c> line on stderr holding
    /// <paramref name="expected"/> (no exception parameter text), and none of <paramref name="mustNotExist"/> created.
    /// </summary>
    internal static void AssertRefused(string workDir, string[] argv, string expected, params string[] mustNotExist)
    {
        var (code, stdout, stderr) = RunCli(workDir, argv);

        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"stderr should be one line:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("(Parameter '", lines[0]);
        Assert.Equal("", stdout.Trim());
        Assert.Equal(2, code);
        foreach (var path in mustNotExist)
            Assert.False(Directory.Exists(path) || File.Exists(path), $"{path} was created by a command line that was refused");
    }

    [Fact]
    public void PathAfterDoubleDashMayStartWithADash()
    {
        var db = Path.Combine(_dir.Path, "db");
        var (code, _, stderr) = RunCli(_dir.Path, ["index", "--db", db, "--model", TinyEmbeddingModel(), "--", "-photo.jpg"]);
        // Taken as a path (it does not exist), not refused as an unknown option.
        Assert.Equal(2, code);
        Assert.Contains("'-photo.jpg' is neither a file nor a folder", stderr);
        Assert.DoesNotContain("unknown option", stderr);
    }

    private string TinyEmbeddingModel()
    {
        var path = Path.Combine(_dir.Path, "tiny.onnx");
        if (!File.Exists(path))
            new OnnxTestWriter().Input("input", "N", 3, 8, 8).Output("embedding").Init("w", [4, 3, 3, 3], Random(16, 1))
                .Node("Conv", ["input", "w"], ["c"]).Node("GlobalAveragePool", ["c"], ["p"]).Node("Flatten", ["p"], ["embedding"]).Save(path);
        return path;
    }

    /// <summary>Runs the built `gpusearch` in <paramref name="workDir"/>; returns its exit code, stdout and stderr.</summary>
    internal static (int Code, string Stdout, string Stderr) RunCli(string workDir, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gpusearch.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GPUSEARCH_DEBUG");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }
}
