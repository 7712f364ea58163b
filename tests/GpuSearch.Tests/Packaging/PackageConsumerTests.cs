// The packages as a new user meets them: pack all three into a folder feed (PackedFeed), make brand-new console apps
// that reference a package from that feed only (no ProjectReference), run the README's examples on real images and
// check the query finds itself first: the host-API example against GpuSearchEngine, the Microsoft.Extensions.VectorData
// example against GpuSearchEngine.VectorData; install the CLI tool into a tool path and run it. Restores go to a fresh
// NuGet packages folder so a stale GpuSearchEngine in the user's cache can never be used.
// They pack, restore from the registry and run the default model (15–60 s each on two cores with a warm kernel cache, the longer beside the rest of the suite), so they run
// in CI (CI set) or with GPUSEARCH_PACKAGE_TEST=1 and are skipped otherwise.
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
public sealed class PackageConsumerTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan Long = PackedFeed.Long;

    [PackageFact]
    public void NewAppRunsTheReadmeExampleFromTheLocalFeed()
    {
        var repo = SharedData.RepoRoot;
        var (feed, version, isolated) = (packed.Feed, packed.Version, packed.Isolated);
        var app = packed.NewApp("ReadmeApp", "GpuSearchEngine");

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
        var tools = Path.Combine(packed.Root, "tools");
        DotnetCli.Run(DotnetCli.Host, ["tool", "install", "--tool-path", tools, "--add-source", feed, "GpuSearch.Cli", "--version", version], packed.Root, Long, isolated);
        var gpusearch = Path.Combine(tools, OperatingSystem.IsWindows() ? "gpusearch.exe" : "gpusearch");
        var devices = JsonDocument.Parse(DotnetCli.Run(gpusearch, ["devices", "--json"], packed.Root, Long)).RootElement;
        Assert.Contains("opencl", devices.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var json = DotnetCli.Run(gpusearch, ["query", query, "--db", index, "-k", "1", "--format", "json"], packed.Root, Long);
        var top = JsonDocument.Parse(json).RootElement[0].GetProperty("hits")[0];
        Assert.Equal(query, top.GetProperty("path").GetString());
    }

    [PackageFact]
    public void NewAppRunsTheReadmeVectorDataExampleFromTheLocalFeed()
    {
        var repo = SharedData.RepoRoot;
        var app = packed.NewApp("VectorDataApp", "GpuSearchEngine.VectorData");
        var photos = ImagesFolder(Path.Combine(app, "photos"));
        var photo = Directory.GetFiles(photos).Order(StringComparer.Ordinal).First();
        var root = Path.Combine(app, "indexes");
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeVectorDataExample(repo, root, photo, photo));

        var output = DotnetCli.Run(DotnetCli.Host, ["run", "-c", "Release"], app, Long, packed.Isolated);
        // The one record upserted (brand acme, price 0: the filter keeps it), found by its own image.
        var hits = Regex.Matches(output, @"^(\d+\.\d{4})  (\S+)$", RegexOptions.Multiline);
        var top = Assert.Single(hits);
        Assert.Equal("SKU-1", top.Groups[2].Value);
        Assert.InRange(float.Parse(top.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.999f, 1.001f);
        Assert.True(File.Exists(Path.Combine(root, "photos", "catalog.sqlite")), "the collection is not the index folder indexes/photos");
        // The core package (and the default model it carries) came through the adapter package's dependency alone.
        Assert.True(File.Exists(Path.Combine(app, "bin", "Release", "net10.0", "models", "resnet18", "ResNet18.onnx")), "the default model is not beside the app");
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

    /// <summary>
    /// The C# block of the README's "Microsoft.Extensions.VectorData and .AI" section with its placeholder paths replaced
    /// and the usings its text names put in front (the block leaves them out, as the section says).
    /// </summary>
    private static string ReadmeVectorDataExample(string repo, string root, string image, string query)
    {
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        const string Heading = "\n### Microsoft.Extensions.VectorData and .AI";
        var start = readme.IndexOf(Heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{Heading.Trim()}' section");
        var section = readme[start..];
        var usings = Regex.Match(section, @"\(usings: ([^)]*)\)");
        Assert.True(usings.Success, "README.md's VectorData section no longer names its usings as '(usings: `A`, `B`)'");
        var code = Regex.Match(section, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(code.Success, "README.md's VectorData section has no ```csharp block");
        var program = code.Groups[1].Value;
        foreach (var (placeholder, real) in new[] { ("\"indexes\"", root), ("\"a.jpg\"", image), ("\"query.jpg\"", query) })
        {
            Assert.True(program.Contains(placeholder, StringComparison.Ordinal), $"README.md's VectorData example no longer contains {placeholder}");
            program = program.Replace(placeholder, Quote(real), StringComparison.Ordinal);
        }
        var header = string.Concat(Regex.Matches(usings.Groups[1].Value, "`([A-Za-z.]+)`").Select(m => $"using {m.Groups[1].Value};\n"));
        return header + program;
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
}
