// The three packages packed once into a folder feed for the packaging tests, on first use: xunit makes class
// fixtures even when every test of the class is skipped, and packing takes tens of seconds.
using System.Text.RegularExpressions;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Packaging;

public sealed class PackedFeed : IDisposable
{
    internal static readonly TimeSpan Long = TimeSpan.FromMinutes(8);
    private static readonly string[] Projects =
        ["src/GpuSearch/GpuSearch.csproj", "src/GpuSearch.VectorData/GpuSearch.VectorData.csproj", "src/GpuSearch.Cli/GpuSearch.Cli.csproj"];
    private readonly Lazy<string> _version;

    public PackedFeed() => _version = new Lazy<string>(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Scratch folder for the feed, the NuGet packages folder and the apps; deleted with the fixture.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("gpusearch-pkg-").FullName;

    /// <summary>The folder feed.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The one version every package has (Directory.Build.props sets it once).</summary>
    public string Version => _version.Value;

    /// <summary>
    /// A fresh NuGet packages folder for every restore these tests make, so a stale GpuSearchEngine in the user's
    /// cache can never be used (shared by the apps: what lands in it came from this feed or the registry).
    /// </summary>
    public IReadOnlyDictionary<string, string> Isolated => new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };

    private string Pack()
    {
        var repo = SharedData.RepoRoot;
        // The configuration this test was built in, so packing finds the build already done.
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        foreach (var project in Projects)
            DotnetCli.Run(DotnetCli.Host, ["pack", Path.Combine(repo, project), "-c", config, "-o", Feed, "-nologo"], repo, Long);
        var version = PackageVersion("GpuSearchEngine");
        Assert.Equal(version, PackageVersion("GpuSearchEngine.VectorData"));
        Assert.Equal(version, PackageVersion("GpuSearch.Cli"));
        return version;
    }

    /// <summary>
    /// A brand-new console app in <c>Root/name</c> that takes <paramref name="package"/> from the feed (beside the sources
    /// the machine already has, no &lt;clear/&gt;) and no ProjectReference.
    /// </summary>
    public string NewApp(string name, string package)
    {
        var app = Path.Combine(Root, name);
        DotnetCli.Run(DotnetCli.Host, ["new", "console", "-o", app, "-n", name, "--no-restore"], Root, Long, Isolated);
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="gpusearch-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        DotnetCli.Run(DotnetCli.Host, ["add", "package", package, "--version", Version, "--no-restore"], app, Long, Isolated);
        Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(app, name + ".csproj")));
        return app;
    }

    /// <summary>The version of the one <paramref name="id"/> package in the feed.</summary>
    private string PackageVersion(string id)
    {
        var nupkg = Assert.Single(Directory.GetFiles(Feed, $"{id}.*.nupkg"), f => Regex.IsMatch(Path.GetFileName(f), $@"^{Regex.Escape(id)}\.\d"));
        return Path.GetFileNameWithoutExtension(nupkg)[(id.Length + 1)..];
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
