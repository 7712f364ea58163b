// Ctrl-C (SIGINT) during `gpusearch index` ends the run promptly with the promised summary line
// ("cancelled; N committed ...") and a non-zero exit, with a FIFO among the inputs that used to block the
// reader forever. A real child process receives a real SIGINT.
using GpuSearch.Tests.Support;
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Store;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;
using Xunit.Abstractions;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Trust;

[Trait("Backend", "OpenCL")]
public sealed class IndexCtrlCTests(ITestOutputHelper log)
{
    private const int Images = 400;

    /// <summary>A model slow enough on PoCL (a 7×7 conv at 224²) that the run is still going when SIGINT arrives.</summary>
    private static string Model(string dir)
    {
        var path = Path.Combine(dir, "slow.onnx");
        new OnnxTestWriter().Input("input", "N", 3, 224, 224).Output("embedding")
            .Init("w", [32, 3, 7, 7], Random(32 * 3 * 49, 5)).Init("b", [32], Random(32, 6))
            .Node("Conv", ["input", "w", "b"], ["c"], "conv", A(("pads", new long[] { 3, 3, 3, 3 })))
            .Node("Relu", ["c"], ["r"]).Node("GlobalAveragePool", ["r"], ["g"]).Node("Flatten", ["g"], ["embedding"])
            .Save(path);
        File.WriteAllText(Path.Combine(dir, "slow.preprocess.json"), PreprocessSpecJson.Write(new PreprocessSpec
        {
            Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 224, Height = 224 }, Scale = 1.0 / 255.0,
        }));
        return path;
    }

    [Fact]
    public async Task Sigint_ends_the_run_with_the_summary_and_a_non_zero_exit()
    {
        using var dir = new TempDir();
        var images = Directory.CreateDirectory(Path.Combine(dir.Path, "images")).FullName;
        SpecialFiles.MakeFifo(Path.Combine(images, "000-pipe.jpg")); // first in order: read before any image
        for (int i = 0; i < Images; i++)
        {
            var rgb = Enumerable.Range(0, 16 * 16 * 3).Select(j => (byte)(j * (i + 1))).ToArray();
            File.WriteAllBytes(Path.Combine(images, $"img{i:D4}.png"), TestPng.EncodeRgb(rgb, 16, 16));
        }
        var db = Path.Combine(dir.Path, "db");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "gpusearch.dll"), "index", images, "--db", db, "--model", Model(dir.Path),
                     "--batch", "4", "--workers", "1", "--device", "cpu", "--json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        int added = 0;
        var stderr = new List<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("{\"event\":\"added\"", StringComparison.Ordinal) == true) Interlocked.Add(ref added, JsonDocument.Parse(e.Data).RootElement.GetProperty("ids").GetArrayLength()); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();

        // Interrupt once the first batch is committed: the run is past start-up, and the FIFO has been met.
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref added) == 0 && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(10);
        Assert.False(p.HasExited, "the child finished (or died) before it could be interrupted: " + string.Join(" | ", stderr));
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", p.Id.ToString()]) { UseShellExecute = false })!) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); Assert.Fail("the child did not end within 60 s of SIGINT"); }
        p.WaitForExit(); // flush the readers
        lock (stderr) foreach (var l in stderr) log.WriteLine($"child: {l}");

        Assert.NotEqual(0, p.ExitCode);
        string summary;
        lock (stderr) summary = Assert.Single(stderr, l => l.StartsWith("cancelled; ", StringComparison.Ordinal));
        using var store = IndexStore.OpenReadOnly(db);
        Assert.Contains($"cancelled; {store.Count} committed", summary);
        Assert.True(store.Count >= added, $"{added} reported added but {store.Count} in the index");
        Assert.True(store.Count < Images, "the run was not interrupted");
    }
}
