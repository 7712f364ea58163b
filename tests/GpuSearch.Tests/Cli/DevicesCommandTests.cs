// `gpusearch devices` and `gpusearch smoke`, run in-process: the JSON lists the PoCL CPU device,
// and an unknown device string is a usage error naming what exists.
using System.Text.Json;
using GpuSearch.Cli.Commands;

namespace GpuSearch.Tests.Cli;

public sealed class DevicesCommandTests
{
    [Fact]
    public void JsonListsThePoclCpuDevice()
    {
        var sw = new StringWriter();
        Assert.Equal(0, DevicesCommand.Run(json: true, sw));
        using var doc = JsonDocument.Parse(sw.ToString());
        var devices = doc.RootElement.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Contains(devices, d => d.GetProperty("backend").GetString() == "opencl" && d.GetProperty("type").GetString() == "cpu"
                                      && d.GetProperty("memory_bytes").GetInt64() > 0 && d.GetProperty("compute_units").GetInt32() > 0);
        var backends = doc.RootElement.GetProperty("backends").EnumerateArray().ToArray();
        // Every backend that is unavailable says why.
        Assert.All(backends.Where(b => !b.GetProperty("available").GetBoolean()),
            b => Assert.False(string.IsNullOrWhiteSpace(b.GetProperty("reason").GetString())));
    }

    [Fact]
    public void TableNamesTheDevice()
    {
        var sw = new StringWriter();
        Assert.Equal(0, DevicesCommand.Run(json: false, sw));
        Assert.Contains("opencl:0", sw.ToString());
        Assert.Contains("auto selects", sw.ToString());
    }

    [Fact]
    public void SmokeRunsAndChecksOnTheCpuDevice()
    {
        var sw = new StringWriter();
        Assert.Equal(0, SmokeCommand.Run("cpu", 67, json: true, sw));
        using var doc = JsonDocument.Parse(sw.ToString());
        Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("max_abs_error").GetDouble() < 1e-4);
    }

    [Fact]
    public void UnknownDeviceIsAUsageErrorListingDevices()
    {
        var err = new StringWriter();
        var old = Console.Error;
        Console.SetError(err);
        try
        {
            var root = new System.CommandLine.RootCommand { SmokeCommand.Create() };
            Assert.Equal(GpuSearch.Cli.ExitCodes.Usage, GpuSearch.Cli.CliRunner.Run(root, ["smoke", "--device", "opencl:9"]));
        }
        finally { Console.SetError(old); }
        Assert.Contains("opencl:9", err.ToString());
        Assert.Contains("opencl:0 =", err.ToString());
    }
}
