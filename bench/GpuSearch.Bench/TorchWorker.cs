// The PyTorch contender of `gpusearch-bench ort --torch ARCH`: bench/models/torch_worker.py as a child process
// that builds the same torchvision model (same seed) and runs one forward pass per request, so its runs
// interleave with the engine's and ONNX Runtime's. It reports its own wall and CPU time per run (the pipe and
// the .npy files stay outside the timed region).
using System.Diagnostics;
using GpuSearch.Models.Execution;

namespace GpuSearch.Bench;

internal sealed class TorchWorker : IDisposable
{
    private readonly Process _process;
    private readonly string _dir = Directory.CreateTempSubdirectory("gpusearch-torch-").FullName;

    private TorchWorker(Process process) { _process = process; }

    /// <summary>Starts the worker for ARCH with THREADS intra-op threads; null with the reason when it cannot run here.</summary>
    public static (TorchWorker? Worker, string? Why) Start(string arch, int threads)
    {
        var script = Script();
        if (script is null) return (null, "bench/models/torch_worker.py not found above the bench binary or the working directory");
        var psi = new ProcessStartInfo(FaissBaseline.Python, [script, arch, threads.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { return (null, $"{FaissBaseline.Python} did not start: {e.Message}"); }
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        var first = p.StandardOutput.ReadLine();
        if (first != "ready")
        {
            p.WaitForExit(5000);
            string err; lock (stderr) err = stderr.ToString().Trim();
            return (null, $"PyTorch worker for {arch} failed: {LastLine(err)}");
        }
        return (new TorchWorker(p), null);
    }

    /// <summary>bench/models/torch_worker.py in the checkout the bench runs from (or the working directory's).</summary>
    private static string? Script()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "bench", "models", "torch_worker.py");
                if (File.Exists(p)) return p;
            }
        return null;
    }

    private static string LastLine(string s) => s.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "no output";

    private string Ask(string request)
    {
        _process.StandardInput.WriteLine(request);
        _process.StandardInput.Flush();
        var reply = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("PyTorch worker exited");
        if (reply.StartsWith("error ", StringComparison.Ordinal)) throw new InvalidOperationException($"PyTorch worker: {reply[6..]}");
        return reply;
    }

    /// <summary>Hands the worker the input batch (once per batch size).</summary>
    public void Load(HostTensor input)
    {
        var path = Path.Combine(_dir, "input.npy");
        Npy.Write(path, input);
        Ask($"load {path}");
    }

    /// <summary>One timed forward pass: the worker's own wall and CPU seconds, and the output when asked for.</summary>
    public (double Wall, double Cpu, float[]? Output) Run(bool keepOutput)
    {
        var outPath = Path.Combine(_dir, "output.npy");
        var parts = Ask(keepOutput ? $"run {outPath}" : "run").Split(' ');
        double wall = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        double cpu = double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        return (wall, cpu, keepOutput ? Npy.Read(outPath).Data : null);
    }

    public void Dispose()
    {
        try { _process.StandardInput.Close(); if (!_process.WaitForExit(10_000)) _process.Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
