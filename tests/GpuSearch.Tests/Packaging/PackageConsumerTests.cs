// The packages as a new user meets them: pack both into a folder feed, make a brand-new console app that
// references GpuSearchEngine from that feed only (no ProjectReference), run the README's host-API example on real
// images and check the query finds itself first; install the CLI tool into a tool path and run it. Restores go to
// a fresh NuGet packages folder so a stale GpuSearchEngine in the user's cache can never be used.
// It packs, restores from the registry and runs the default model (15–60 s on two cores with a warm kernel cache, the longer beside the rest of the suite), so it runs
// in CI (CI set) or with GPUSEARCH_PACKAGE_TEST=1 and is skipped otherwise.
using System.Text.Json;
using System.Text.RegularExpressions;
using GpuSearch.Reports;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Packaging;

/// <summary>A fact that runs only in CI or when GPUSEARCH_PACKAGE_TEST=1 asks for it.</summary>
public sealed class PackageFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> outside CI unless the variable asks for the run.</summary>
    public PackageFactAttribute()
    {
        var ci = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        var asked = Environment.GetEnvironmentVariable("GPUSEARCH_PACKAGE_TEST");
        if (asked == "0" || (!ci && asked != "1"))
            Skip = "packs, restores and runs a new app (15–60 s): runs in CI, or locally with GPUSEARCH_PACKAGE_TEST=1";
    }
}

[Trait("Category", "Packaging")]
public sealed class PackageConsumerTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(8);
    private readonly string _dir = Directory.CreateTempSubdirectory("gpusearch-pkg-").FullName;

    [PackageFact]
    public void NewAppRunsTheReadmeExampleFromTheLocalFeed()
    {
        var repo = SharedData.RepoRoot;
        var feed = Path.Combine(_dir, "feed");
        // The configuration this test was built in, so packing finds the build already done.
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        foreach (var project in new[] { "src/GpuSearch/GpuSearch.csproj", "src/GpuSearch.Cli/GpuSearch.Cli.csproj" })
            DotnetCli.Run(DotnetCli.Host, ["pack", Path.Combine(repo, project), "-c", config, "-o", feed, "-nologo"], repo, Long);
        var version = PackageVersion(feed, "GpuSearchEngine");
        Assert.Equal(version, PackageVersion(feed, "GpuSearch.Cli"));

        var isolated = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_dir, "packages") };
        var app = Path.Combine(_dir, "app");
        DotnetCli.Run(DotnetCli.Host, ["new", "console", "-o", app, "-n", "ReadmeApp", "--no-restore"], _dir, Long, isolated);
        // The local feed beside the sources the machine already has (no <clear/>).
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="gpusearch-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        DotnetCli.Run(DotnetCli.Host, ["add", "package", "GpuSearchEngine", "--version", version, "--no-restore"], app, Long, isolated);
        Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(app, "ReadmeApp.csproj")));

        var photos = ImagesFolder(Path.Combine(app, "photos"));
        var query = Path.Combine(photos, Path.GetFileName(Directory.GetFiles(photos).Order(StringComparer.Ordinal).First()));
        var index = Path.Combine(app, "my-index");
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeExample(repo, index, photos, query));

        // One restore, one build, one run.
        var output = DotnetCli.Run(DotnetCli.Host, ["run", "-c", "Release"], app, Long, isolated);
        // Not anchored at the line start: Progress<T> posts to the thread pool, so a late "\r6/6  5 img/s" can land
        // after the summary and in front of the first hit.
        var hits = Regex.Matches(output, @"(\d+\.\d{4})  (.+)$", RegexOptions.Multiline);
        Assert.True(hits.Count > 0, $"the README example printed no hits:\n{output}");
        Assert.Equal(query, hits[0].Groups[2].Value.TrimEnd());
        Assert.InRange(float.Parse(hits[0].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.999f, 1.001f);
        Assert.Contains($"added {Directory.GetFiles(photos).Length}, skipped 0, failed 0", output);

        // The default model and its licence came by restore alone; nothing of ML.NET or ONNX Runtime did.
        var bin = Path.Combine(app, "bin", "Release", "net10.0");
        foreach (var f in new[] { "ResNet18.onnx", "ResNetPreprocess.onnx", "LICENSE", "THIRD-PARTY-NOTICES.TXT" })
            Assert.True(File.Exists(Path.Combine(bin, "models", "resnet18", f)), $"models/resnet18/{f} is not beside the app");
        Assert.Empty(Directory.GetFiles(bin, "Microsoft.ML*"));

        // The tool: installed from the feed into its own path, it lists devices and queries with its own copy of the model.
        var tools = Path.Combine(_dir, "tools");
        DotnetCli.Run(DotnetCli.Host, ["tool", "install", "--tool-path", tools, "--add-source", feed, "GpuSearch.Cli", "--version", version], _dir, Long, isolated);
        var gpusearch = Path.Combine(tools, OperatingSystem.IsWindows() ? "gpusearch.exe" : "gpusearch");
        var devices = JsonDocument.Parse(DotnetCli.Run(gpusearch, ["devices", "--json"], _dir, Long)).RootElement;
        Assert.Contains("opencl", devices.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var json = DotnetCli.Run(gpusearch, ["query", query, "--db", index, "-k", "1", "--format", "json"], _dir, Long);
        var top = JsonDocument.Parse(json).RootElement[0].GetProperty("hits")[0];
        Assert.Equal(query, top.GetProperty("path").GetString());
    }

    /// <summary>The version of the one <paramref name="id"/> package in the feed.</summary>
    private static string PackageVersion(string feed, string id)
    {
        var nupkg = Assert.Single(Directory.GetFiles(feed, $"{id}.*.nupkg"), f => Regex.IsMatch(Path.GetFileName(f), $@"^{Regex.Escape(id)}\.\d"));
        return Path.GetFileNameWithoutExtension(nupkg)[(id.Length + 1)..];
    }

    /// <summary>
    /// The C# block of the README's "Host API" section with its placeholder paths replaced, so the README example
    /// is what runs; a README that no longer names them fails here rather than running something else.
    /// </summary>
    private static string ReadmeExample(string repo, string index, string photos, string query)
    {
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        var section = readme[(readme.IndexOf("\n## Host API", StringComparison.Ordinal) is var s and >= 0 ? s : throw new InvalidOperationException("README.md has no '## Host API' section"))..];
        var code = Regex.Match(section, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(code.Success, "README.md's Host API section has no ```csharp block");
        var program = code.Groups[1].Value;
        foreach (var (placeholder, real) in new[] { ("\"my-index\"", index), ("[\"photos/\"]", $"[{Quote(photos)}]"), ("\"query.jpg\"", query) })
        {
            Assert.True(program.Contains(placeholder, StringComparison.Ordinal), $"README.md's host-API example no longer contains {placeholder}");
            program = program.Replace(placeholder, placeholder.StartsWith('[') ? real : Quote(real), StringComparison.Ordinal);
        }
        return program;
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    /// <summary>A few of the demo photos (scripts/fetch-demo-photos.sh; make test fetches them), else five
    /// distinct synthetic PNGs, copied into <paramref name="folder"/>.</summary>
    private static string ImagesFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        var demo = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "demo", "photos");
        string[] names = ["aloeL.jpg", "graf1.png", "HappyFish.jpg", "leuvenA.jpg", "LinuxLogo.jpg", "Blender_Suzanne1.jpg"];
        if (names.All(n => File.Exists(Path.Combine(demo, n))))
        {
            foreach (var n in names) File.Copy(Path.Combine(demo, n), Path.Combine(folder, n));
            return folder;
        }
        const int Side = 160;
        for (var k = 0; k < 5; k++)
        {
            var rgb = new byte[Side * Side * 3];
            for (int y = 0, i = 0; y < Side; y++)
                for (var x = 0; x < Side; x++, i += 3)
                {
                    // Stripes, rings and checks at different frequencies and colours: five clearly different images.
                    var v = k switch
                    {
                        0 => (x / 8 + y / 8) % 2 * 255,
                        1 => (int)(127.5 + 127.5 * Math.Sin(Math.Sqrt((x - 80) * (x - 80) + (y - 80) * (y - 80)) / 4)),
                        2 => x * 255 / Side,
                        3 => (int)(127.5 + 127.5 * Math.Sin(x / 3.0) * Math.Cos(y / 7.0)),
                        _ => (x * y) % 256,
                    };
                    rgb[i] = (byte)v;
                    rgb[i + 1] = (byte)((v + 85 * k) % 256);
                    rgb[i + 2] = (byte)(255 - v);
                }
            File.WriteAllBytes(Path.Combine(folder, $"synthetic{k}.png"), TestPng.EncodeRgb(rgb, Side, Side));
        }
        return folder;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
