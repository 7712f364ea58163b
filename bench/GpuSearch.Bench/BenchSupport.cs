// Small helpers of the benchmark harness: argument parsing, .npy writing for the Python baselines,
// running FAISS in the same run, and known device peaks.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Search;

namespace GpuSearch.Bench;

/// <summary><c>--name value</c> / <c>--flag</c> arguments; lists are comma-separated (<c>--n 100000,1000000</c>).</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public static BenchArgs Parse(string[] args)
    {
        var a = new BenchArgs();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{args[i]}'");
            bool hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            a._values[args[i]] = hasValue ? args[++i] : null;
        }
        return a;
    }

    public bool Has(string name) => _values.ContainsKey(name);
    public bool Flag(string name) => _values.ContainsKey(name);
    public string Str(string name, string def) => _values.TryGetValue(name, out var v) && v is not null ? v : def;
    public int Int(string name, int def) => _values.TryGetValue(name, out var v) && v is not null ? ParseInt(name, v) : def;
    public double? Double(string name) => _values.TryGetValue(name, out var v) && v is not null ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public int[] Ints(string name, int[] def) => _values.TryGetValue(name, out var v) && v is not null
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => ParseInt(name, x)).ToArray() : def;

    private static int ParseInt(string name, string v)
    {
        v = v.Trim().ToLowerInvariant();
        int mult = v.EndsWith('k') ? 1000 : v.EndsWith('m') ? 1_000_000 : 1;
        if (mult > 1) v = v[..^1];
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) && x > 0
            ? x * mult : throw new ArgumentException($"{name}: '{v}' is not a positive integer");
    }
}

/// <summary>Writes a float32 C-order 2-D .npy.</summary>
internal static class NpyWriter
{
    public static void Write(string path, float[] data, int rows, int cols)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        int pad = (64 - (10 + dict.Length + 1) % 64) % 64;
        var header = dict + new string(' ', pad) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xFF), (byte)(header.Length >> 8)]);
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan(0, rows * cols)));
    }
}

/// <summary>Runs bench/faiss_knn.py on the same files; returns FAISS queries/s or why it could not run.</summary>
internal static class FaissBaseline
{
    public static string Python =>
        Environment.GetEnvironmentVariable("GPUSEARCH_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; // Debian's python has python3-faiss

    private static string Script()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "bench", "faiss_knn.py");
            if (File.Exists(p)) return p;
        }
        return Path.Combine(Directory.GetCurrentDirectory(), "bench", "faiss_knn.py");
    }

    /// <param name="blasDir">When set, prepended to LD_LIBRARY_PATH so FAISS loads that libblas.so.3
    /// (e.g. OpenBLAS unpacked by bench/get_openblas.sh) instead of the system's (netlib on Debian by default).</param>
    /// <param name="engine">"faiss" (IndexFlatIP/L2) or "numpy" (queries @ base.T through BLAS, then a partial sort).</param>
    public static (double? Qps, string? Note, double? CpuSeconds) Run(string basePath, string queryPath, int k, Metric metric, int repeat,
        string? blasDir = null, string engine = "faiss")
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (blasDir is not null)
            psi.Environment["LD_LIBRARY_PATH"] = blasDir + (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } l ? ":" + l : "");
        foreach (var a in new[] { Script(), basePath, queryPath, k.ToString(CultureInfo.InvariantCulture),
                     metric == Metric.L2 ? "l2" : "ip", "--engine", engine, "--repeat", repeat.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            if (last.StartsWith('{'))
            {
                using var doc = JsonDocument.Parse(last);
                if (doc.RootElement.TryGetProperty("qps", out var q))
                    return (q.GetDouble(), null, doc.RootElement.TryGetProperty("cpu_s", out var c) ? c.GetDouble() : null);
                if (doc.RootElement.TryGetProperty("error", out var e)) return (null, e.GetString(), null);
            }
            return (null, $"faiss_knn.py exited {p.ExitCode}: {stderr.Trim().Split('\n').LastOrDefault()}", null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"cannot start {Python}: {e.Message}", null);
        }
    }
}

/// <summary>Peak bandwidth (GB/s) and fp32 GFLOP/s of a device: given on the command line, or known by name.</summary>
internal sealed record DevicePeak(double GBs, double GFlops)
{
    public static DevicePeak? For(DeviceInfo info, BenchArgs o)
    {
        if (o.Double("--peak-gbs") is { } g && o.Double("--peak-gflops") is { } f) return new DevicePeak(g, f);
        // H100 SXM 80GB: ~3.35 TB/s HBM3 (≈3.0 measured copy), 67 TFLOP/s fp32 (non-tensor).
        if (info.Name.Contains("H100", StringComparison.OrdinalIgnoreCase)) return new DevicePeak(3000, 67_000);
        // H200 SXM 141GB: 4.8 TB/s HBM3e (datasheet), the same 67 TFLOP/s fp32 as the H100 SXM.
        if (info.Name.Contains("H200", StringComparison.OrdinalIgnoreCase)) return new DevicePeak(4800, 67_000);
        return null;
    }
}

/// <summary>The machine a bench row was measured on: CPU model and vector ISA from /proc/cpuinfo, and core count.</summary>
internal static class BenchMachine
{
    public static string Line =>
        $"machine: CPU {Models.Tuning.DeviceClassifier.HostCpuModel}, {Models.Tuning.DeviceClassifier.HostCpuIsa}, {Environment.ProcessorCount} cores";
}
