// Locates ../shared (models and decoder conformance suites written by others). Tests that need it
// skip with a stated reason when it is absent, so a user's fresh clone still passes.
using System.Runtime.CompilerServices;

namespace GpuSearch.Tests.Support;

internal static class SharedData
{
    /// <summary>The repository root (the folder holding GpuSearchEngine.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>GPUSEARCH_SHARED</c> if set, else <c>../shared</c> beside the repository; null when absent.</summary>
    public static string? Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("GPUSEARCH_SHARED");
            var dir = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    /// <summary>Full path of a file or folder under shared/, or null (with the reason) when it is absent.</summary>
    public static string? Find(string relative, out string skipReason)
    {
        skipReason = "";
        if (Root is not { } root)
        {
            skipReason = $"../shared is absent (looked beside {RepoRoot}; set GPUSEARCH_SHARED to point elsewhere)";
            return null;
        }
        var p = Path.Combine(root, relative);
        if (File.Exists(p) || Directory.Exists(p)) return p;
        skipReason = $"{relative} is absent from {root}";
        return null;
    }

    private static string FindRepoRoot([CallerFilePath] string here = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(here) ?? "" })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "GpuSearchEngine.sln"))) return d.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
