// Finds or makes the PyTorch parity fixtures (tools/make_torchvision_parity.py) in a per-user cache, so a
// clean clone needs no committed 600 MB of ONNX files and a second run needs no Python at all beyond the
// probe. Generation is serialised per case by a lock file, because test classes may run in parallel and
// more than one test process (or `dotnet test` run) can share the cache.
using System.Diagnostics;
using System.Text;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models.Support;

internal static class TorchvisionFixtures
{
    /// <summary>Debian's interpreter: the pyenv python3 on PATH has no torch.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Overrides the cache root (the torch version and generator hash folders are still appended).</summary>
    public const string CacheEnv = "GPUSEARCH_TORCHVISION_CACHE";

    public static string Script => Path.Combine(SharedData.RepoRoot, "tools", "make_torchvision_parity.py");

    /// <summary>The files the script writes; a folder holding all of them is a complete fixture.</summary>
    private static readonly string[] Files = ["model.onnx", "input.npy", "expected.npy", "meta.json"];

    // One probe per test process: importing torch takes a second or two.
    private static readonly Lazy<(string? Version, string Why)> Probe = new(RunProbe);

    /// <summary>Why the fixtures cannot be made here, or null when Python, torch and torchvision are present.</summary>
    public static string? SkipReason => Probe.Value.Version is null ? Probe.Value.Why : null;

    /// <summary>"torch-X_torchvision-Y": fixtures from another torch could differ, so each version has its own folder.</summary>
    public static string Versions => Probe.Value.Version ?? throw new InvalidOperationException(Probe.Value.Why);

    public static string CacheRoot
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(CacheEnv);
            var root = !string.IsNullOrEmpty(env) ? env
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "torchvision-parity");
            return Path.Combine(root, Versions, GeneratorHash);
        }
    }

    /// <summary>Hash of the generating scripts (read once): a change to how fixtures are made must not reuse old ones.</summary>
    private static string GeneratorHash => Generator.Value;

    private static readonly Lazy<string> Generator = new(() =>
    {
        var text = string.Concat(new[] { Script, Path.Combine(Path.GetDirectoryName(Script)!, "torchvision_export.py") }.Select(File.ReadAllText));
        return "gen-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
    });

    /// <summary>The fixture folder for ARCH at OPSET, generated first when absent. Throws with the script's stderr on failure.</summary>
    public static string Get(string arch, int opset, Action<string> log)
    {
        var dir = Path.Combine(CacheRoot, $"{arch}_op{opset}");
        if (IsComplete(dir)) return dir;
        Directory.CreateDirectory(CacheRoot);
        using var held = Lock(dir + ".lock");
        if (IsComplete(dir)) return dir; // another process made it while we waited
        var sw = Stopwatch.StartNew();
        var (code, stdout, stderr) = Run(TimeSpan.FromMinutes(10), Script, arch, opset.ToString(System.Globalization.CultureInfo.InvariantCulture), dir);
        if (code != 0 || !IsComplete(dir))
            throw new InvalidOperationException($"{Python} {Script} {arch} {opset} {dir} exited {code}:\n{stderr}\n{stdout}");
        log($"generated {dir} in {sw.Elapsed.TotalSeconds:F1} s");
        return dir;
    }

    private static bool IsComplete(string dir) => Files.All(f => File.Exists(Path.Combine(dir, f)));

    /// <summary>An exclusive lock: .NET takes flock(LOCK_EX) for FileShare.None on Unix, released when the handle closes (even if killed).</summary>
    internal static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(15);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }

    private static (string?, string) RunProbe()
    {
        if (!File.Exists(Python)) return (null, $"{Python} is absent (the parity fixtures are made by PyTorch; scripts/setup.sh installs Debian's python3-torch)");
        try
        {
            var (code, stdout, stderr) = Run(TimeSpan.FromMinutes(2), "-c",
                "import torch, torchvision; print(f'torch-{torch.__version__}_torchvision-{torchvision.__version__}')");
            var last = stderr.Trim().Split('\n')[^1];
            return code == 0 && stdout.Trim().Length > 0 ? (stdout.Trim(), "")
                : (null, $"{Python} cannot import torch and torchvision ({last}); apt-get install python3-torch python3-torchvision, as scripts/setup.sh does");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return (null, $"{Python} could not be run: {e.Message}");
        }
    }

    /// <summary>Runs <see cref="Python"/> with <paramref name="args"/>, killing it past <paramref name="timeout"/>.</summary>
    internal static (int Code, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Python}");
        // Read both streams asynchronously: a full stderr pipe would otherwise block the child forever.
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} {string.Join(' ', args)} ran past {timeout.TotalMinutes} min");
        }
        p.WaitForExit(); // flushes the asynchronous readers
        lock (stdout) lock (stderr) return (p.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
