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
