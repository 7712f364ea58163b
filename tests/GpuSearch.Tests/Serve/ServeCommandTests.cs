// `gpusearch serve` options: loopback by default, another bind needs an API key or --insecure (usage error, exit 2,
// before the model loads); upload sizes parse with units.
using System.CommandLine;
using GpuSearch.Cli;
using GpuSearch.Cli.Commands;
using GpuSearch.Cli.Serve;

namespace GpuSearch.Tests.Serve;

public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080", null, false, true)]
    [InlineData("http://localhost:0", null, false, true)]
    [InlineData("http://[::1]:8080", null, false, true)]
    [InlineData("http://0.0.0.0:8080", null, false, false)]
    [InlineData("http://*:8080", null, false, false)]
    [InlineData("http://+:8080", null, false, false)]
    [InlineData("http://192.168.1.5:8080", null, false, false)]
    [InlineData("http://127.0.0.1:8080;http://10.0.0.1:8080", null, false, false)]
    [InlineData("http://0.0.0.0:8080", "a-long-enough-api-key", false, true)]
    [InlineData("http://0.0.0.0:8080", null, true, true)]
    [InlineData("ftp://127.0.0.1:21", null, false, false)]
    [InlineData("http://127.0.0.1:8080", "short", false, false)]
    public void NonLoopbackBindsNeedAKeyOrInsecure(string urls, string? key, bool insecure, bool allowed)
    {
        var options = new ServeOptions { Urls = urls, ApiKey = key, Insecure = insecure };
        if (allowed) BindPolicy.Check(options);
        else Assert.Throws<ArgumentException>(() => BindPolicy.Check(options));
    }

    [Fact]
    public void AnUnprotectedPublicBindIsAUsageErrorBeforeTheIndexOpens()
    {
        var missing = Path.Combine(Path.GetTempPath(), "gpusearch-no-index-" + Guid.NewGuid().ToString("N"));
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            int rc = CliRunner.Run(new RootCommand { ServeCommand.Create() }, ["serve", "--db", missing, "--urls", "http://0.0.0.0:8080"]);
            Assert.Equal(ExitCodes.Usage, rc);
        }
        finally { Console.SetError(saved); }
        Assert.StartsWith("error: --urls http://0.0.0.0:8080 is reachable from other machines", err.ToString());
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void ANegativeDuplicateItemCapIsAUsageError()
    {
        var missing = Path.Combine(Path.GetTempPath(), "gpusearch-no-index-" + Guid.NewGuid().ToString("N"));
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            int rc = CliRunner.Run(new RootCommand { ServeCommand.Create() }, ["serve", "--db", missing, "--max-duplicate-items", "-1"]);
            Assert.Equal(ExitCodes.Usage, rc);
        }
        finally { Console.SetError(saved); }
        Assert.StartsWith("error: --max-duplicate-items must be 0 or more", err.ToString());
        Assert.False(Directory.Exists(missing));
    }

    [Theory]
    [InlineData("32MB", 32L << 20)]
    [InlineData("512kb", 512L << 10)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1048576", 1048576)]
    public void UploadSizesParse(string text, long bytes) => Assert.Equal(bytes, ServeCommand.ParseSize(text));

    [Theory]
    [InlineData("0")]
    [InlineData("-5MB")]
    [InlineData("lots")]
    [InlineData("12TB")]
    public void BadUploadSizesAreRefused(string text) => Assert.Throws<ArgumentException>(() => ServeCommand.ParseSize(text));
}

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServeCommandRunTests(ServeFixture fx)
{
    [ServeFact]
    public async Task TheCommandServesReadOnlyUntilCancelled()
    {
        Assert.True(fx.Engine.Count > 0);
        var stdout = new StringWriter();
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => ServeCommand.RunAsync(fx.Db, ServeFixture.Options(readOnly: true), new ServeOptions { Urls = "http://127.0.0.1:0" }, TextWriter.Synchronized(stdout), cts.Token));
        var until = DateTime.UtcNow.AddMinutes(2);
        while (!stdout.ToString().Contains("listening on") && DateTime.UtcNow < until && !run.IsCompleted) await Task.Delay(50);
        var line = stdout.ToString();
        Assert.Contains($"{fx.Photos.Length} images", line);
        Assert.Contains("(read-only)", line);
        var url = System.Text.RegularExpressions.Regex.Match(line, @"listening on (http://127\.0\.0\.1:\d+)").Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal(fx.Photos.Length, (await ServeApiTests.Json(await http.GetAsync("/stats"))).GetProperty("count").GetInt64());
        cts.Cancel();
        Assert.Equal(ExitCodes.Ok, await run);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health"));
    }
}
