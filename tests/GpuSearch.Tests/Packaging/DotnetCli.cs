// Runs the dotnet CLI (and installed tools) as child processes for the packaging test. Build servers and MSBuild
// node reuse are off: a lingering node inherits the output pipes and the read would never see their end.
using System.Diagnostics;
using System.Text;

namespace GpuSearch.Tests.Packaging;

internal static class DotnetCli
{
    /// <summary>The dotnet host running this test run (DOTNET_HOST_PATH when the CLI set it), else dotnet on PATH.</summary>
    public static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workDir"/>; throws with the
    /// command and its output tail when it exits non-zero or runs past <paramref name="timeout"/>.</summary>
    public static string Run(string file, IEnumerable<string> args, string workDir, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["UseSharedCompilation"] = "false";
        // The test host's own settings (e.g. VSTest's) must not leak into the child builds.
        psi.Environment.Remove("MSBuildExtensionsPath");
        psi.Environment.Remove("MSBuildSDKsPath");
        psi.Environment.Remove("MSBUILD_EXE_PATH");
        if (env is not null)
            foreach (var (k, v) in env) psi.Environment[k] = v;

        var output = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var command = $"{file} {string.Join(' ', psi.ArgumentList)} (in {workDir})";
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} ran past {timeout.TotalSeconds:F0} s:\n{Tail(output)}");
        }
        p.WaitForExit(); // drains the asynchronous readers
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{command} exited {p.ExitCode}:\n{Tail(output)}");
        lock (output) return output.ToString();
    }

    private static string Tail(StringBuilder sb)
    {
        lock (sb)
        {
            var s = sb.ToString();
            return s.Length <= 6000 ? s : "…" + s[^6000..];
        }
    }
}
