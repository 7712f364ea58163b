// ILogger support (issue 13): an engine given EngineOptions.LoggerFactory logs its open stages, the device it chose,
// the model, each committed batch, each file that failed and each search, under stable event ids; and the library
// writes nothing to the console while it does (the console is process-wide, so these run alone).
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Serve;
using GpuSearch.Tests.Support;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Tests.Api;

/// <summary>Tests that redirect Console.Out/Error run alone: any other test's output would land in their writers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleOutputCollection
{
    public const string Name = "console output";
}

[Trait("Backend", "OpenCL")]
[Collection(ConsoleOutputCollection.Name)]
public sealed class EngineLoggingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gpusearch-logging-").FullName;

    [ServeFact]
    public async Task OpenAddAndSearchLogTheirEventsAndWriteNothingToTheConsole()
    {
        var images = Directory.CreateDirectory(Path.Combine(_root, "images")).FullName;
        var photos = new[] { EngineTests.Photos[0], EngineTests.Photos[^1] } // two small JPEGs
            .Select(rel => SharedData.Find(rel, out var why) ?? throw new InvalidOperationException(why))
            .Select(src => { var dst = Path.Combine(images, Path.GetFileName(src)); File.Copy(src, dst); return dst; })
            .ToArray();
        var broken = Path.Combine(images, "broken.jpg");
        File.WriteAllBytes(broken, File.ReadAllBytes(photos[0])[..200]);
        var logs = new CapturingLoggerFactory();
        var options = EngineTests.Options(ServeFixture.Model) with { LoggerFactory = logs };

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        IndexReport report;
        IReadOnlyList<SearchHit> hits;
        string deviceId;
        try
        {
            using var engine = await ImageSearchEngine.OpenAsync(Path.Combine(_root, "db"), options);
            deviceId = engine.Device.Id;
            report = await engine.AddImagesAsync([images]);
            hits = engine.Search(photos[0], 1);
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
        Assert.Equal("", stdout.ToString());
        Assert.Equal("", stderr.ToString());
        Assert.Equal(2, report.Added);
        Assert.Equal(photos[0], hits[0].Path);

        // Opening: every stage in order, the device the selection resolved to, the model and where its spec came from.
        Assert.Equal([OpenStage.Device, OpenStage.Model, OpenStage.Index, OpenStage.Kernels],
            logs.WithId(100).Select(e => (OpenStage)e["Stage"]!).ToArray());
        var device = Assert.Single(logs.WithId(101));
        Assert.Equal((LogLevel.Information, "cpu", deviceId), (device.Level, device["Selection"], device["DeviceId"]));
        var model = Assert.Single(logs.WithId(103));
        Assert.Equal((ServeFixture.Model, "options", "options"), (model["ModelPath"], model["ModelSource"], model["PreprocessSource"]));
        var opened = Assert.Single(logs.WithId(104));
        Assert.Equal(("created", 0L), (opened["Mode"], opened["Count"]));
        Assert.Single(logs.WithId(106));

        // Adding: the plan, each committed batch (summing to what was added), the bad file as a warning, the summary.
        var started = Assert.Single(logs.WithId(200));
        Assert.Equal((3, 3), (started["Total"], started["ToEmbed"]));
        Assert.Equal(report.Added, logs.WithId(201).Sum(e => (int)e["Count"]!));
        var failed = Assert.Single(logs.WithId(202));
        Assert.Equal((LogLevel.Warning, broken, report.Failures[0].Reason), (failed.Level, failed["Path"], failed["Reason"]));
        var finished = Assert.Single(logs.WithId(203));
        Assert.Equal((2L, 0L, 1), (finished["Added"], finished["Skipped"], finished["Failed"]));

        // Searching: one scan for the one query (the warm-up embeds but does not scan).
        var searched = Assert.Single(logs.WithId(205));
        Assert.Equal((1, 1), (searched["Queries"], searched["K"]));

        // The only warning is the bad file (the device was named, so no fallback); every event is named and structured.
        Assert.All(logs.Entries.Where(e => e.Level >= LogLevel.Warning), e => Assert.Equal(202, e.EventId.Id));
        Assert.All(logs.Entries, e => Assert.False(string.IsNullOrEmpty(e.EventId.Name)));
        Assert.All(logs.Entries, e => Assert.True(e.Properties.ContainsKey("{OriginalFormat}"), $"{e.EventId} is not a template"));
        Assert.All(logs.Entries, e => Assert.StartsWith("GpuSearch.", e.Category));
    }

    [ServeFact]
    public void AModelWithoutItsPreprocessingIsAFallbackWarning()
    {
        var logs = new CapturingLoggerFactory();
        var options = EngineTests.Options(ServeFixture.Model) with { Preprocess = null, LoggerFactory = logs }; // no sidecar in ../shared/models
        using (ImageSearchEngine.Open(Path.Combine(_root, "guessed"), options)) { }
        var fallback = Assert.Single(logs.WithId(107));
        Assert.Equal((LogLevel.Warning, ServeFixture.Model), (fallback.Level, fallback["ModelPath"]));
        Assert.StartsWith("the torchvision ImageNet preset", (string)Assert.Single(logs.WithId(103))["PreprocessSource"]!);
    }

    [Fact]
    public void AutoLandingOnACpuDeviceIsAFallbackWarning()
    {
        var logs = new CapturingLoggerFactory();
        var log = logs.CreateLogger(EngineLog.EngineCategory);
        using var device = ImageSearchEngine.OpenDevice(new EngineOptions { Device = "auto", LoggerFactory = logs }, log);
        Assert.Equal(device.Info.Id, Assert.Single(logs.WithId(101))["DeviceId"]);
        if (device.Info.IsCpu)
            Assert.Equal((LogLevel.Warning, device.Info.Id), (Assert.Single(logs.WithId(102)).Level, Assert.Single(logs.WithId(102))["DeviceId"]));
        else Assert.Empty(logs.WithId(102)); // a GPU machine: auto found one, nothing fell back
        Assert.IsNotType<Microsoft.Extensions.Logging.Abstractions.NullLogger>(device.Logger); // its compiles go to the same factory
    }

    /// <summary>The paths no test runs are covered too: no library source calls the console or Debug/Trace output.</summary>
    [Fact]
    public void NoLibrarySourceWritesToTheConsole()
    {
        var writes = new System.Text.RegularExpressions.Regex(@"\bConsole\s*\.|\b(Debug|Trace)\s*\.\s*(Write|Print|Fail|Assert)");
        var offenders = new[] { "src/GpuSearch", "src/GpuSearch.VectorData" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(SharedData.RepoRoot, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && writes.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(SharedData.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "the library writes to the console (log through EngineLog instead):\n" + string.Join("\n", offenders));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
