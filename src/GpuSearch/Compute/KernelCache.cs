// On-disk cache of compiled kernel binaries (OpenCL program binaries, CUDA PTX/CUBIN), keyed by
// source + options + device + driver, so a restart skips recompilation. Corrupt entries are ignored.
using System.Security.Cryptography;
using System.Text;

namespace GpuSearch.Compute;

/// <summary>Stores compiled kernel binaries under a cache directory.</summary>
internal static class KernelCache
{
    /// <summary>
    /// Cache folder: <c>GPUSEARCH_KERNEL_CACHE</c> if set (set it to <c>off</c> to disable),
    /// else <c>$XDG_CACHE_HOME/gpusearch/kernels</c> or <c>~/.cache/gpusearch/kernels</c>.
    /// </summary>
    public static string? Directory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE");
            if (string.Equals(env, "off", StringComparison.OrdinalIgnoreCase)) return null;
            if (!string.IsNullOrEmpty(env)) return env;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "gpusearch", "kernels");
        }
    }

    /// <summary>
    /// Raised on the compiling thread around every compile the cache could not serve (none when every binary is
    /// cached), for any device in the process; handlers must be quick. The CLI prints it, the library never does.
    /// </summary>
    public static event Action<KernelCompileProgress>? Compiling;

    internal static void Report(KernelCompileProgress progress) => Compiling?.Invoke(progress);

    /// <summary>Full key for one build.</summary>
    public static string Key(KernelSource source, string options, DeviceInfo device) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{source.CacheKey}\n{options}\n{device.Backend}\n{device.Name}\n{device.Vendor}\n{device.DriverVersion}")))[..40];

    /// <summary>Returns the cached binary, or null if absent or unreadable.</summary>
    public static byte[]? TryRead(string key)
    {
        var dir = Directory;
        if (dir is null) return null;
        try
        {
            var path = Path.Combine(dir, key + ".bin");
            if (!File.Exists(path)) return null;
            var data = File.ReadAllBytes(path);
            // Layout: 32-byte SHA-256 of the payload, then the payload; a torn write fails the check.
            if (data.Length < 33) return null;
            var payload = data.AsSpan(32);
            return SHA256.HashData(payload).AsSpan().SequenceEqual(data.AsSpan(0, 32)) ? payload.ToArray() : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stores a binary atomically (write to a temp file, then rename). Failures are ignored: the cache is an optimisation.</summary>
    public static void TryWrite(string key, ReadOnlySpan<byte> binary)
    {
        var dir = Directory;
        if (dir is null || binary.IsEmpty) return;
        try
        {
            System.IO.Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, key + ".bin");
            var tmp = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N") + ".tmp";
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(SHA256.HashData(binary));
                f.Write(binary);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
