// Tuned winners on disk, beside the compiled kernels: one small JSON per device + driver + conv kernel source.
// The payload is stored as a string with its SHA-256 so a torn or edited file fails the check; a file that fails
// any check is reported through the warning callback and ignored, never trusted.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>What a tuning cache entry holds.</summary>
/// <param name="Device">Device name.</param>
/// <param name="Driver">Driver version.</param>
/// <param name="KernelHash">Hash of the expanded conv kernel source it was measured with.</param>
/// <param name="Class">Device class at tuning time.</param>
/// <param name="Isa">Host CPU vector ISA at tuning time.</param>
/// <param name="Tiles">The winning conv tiles.</param>
/// <param name="WinnerMs">Winner's summed time over the tuning shapes.</param>
/// <param name="DefaultMs">The shipped default's summed time over the same shapes.</param>
/// <param name="TunedAtUtc">When it was measured.</param>
internal sealed record TuningEntry(string Device, string Driver, string KernelHash, string Class, string Isa, ConvTiles Tiles,
    double WinnerMs, double DefaultMs, DateTime TunedAtUtc);

/// <summary>Reads and writes tuned conv tiles under the kernel cache folder.</summary>
internal static class TuningCache
{
    private sealed record Envelope(int Format, string Payload, string Sha256);

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Folder of tuning entries: <c>tuning/</c> under <see cref="KernelCache.Directory"/>, null when caching is off.</summary>
    public static string? DefaultDirectory => KernelCache.Directory is { } d ? Path.Combine(d, "tuning") : null;

    /// <summary>Hash of the expanded conv kernel (includes resolved) for a backend: a kernel edit invalidates old winners.</summary>
    public static string ConvKernelHash(ComputeBackend backend) =>
        KernelSource.Load("conv.cl", KernelDefines.Empty, backend).CacheKey[..16];

    /// <summary>Entry file for a device in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, DeviceInfo device)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"conv-tiles\n{device.Backend}\n{device.Name}\n{device.Vendor}\n{device.DriverVersion}\n{ConvKernelHash(device.Backend)}")))[..32];
        return Path.Combine(directory, key + ".json");
    }

    /// <summary>The stored entry for a device, or null (absent, corrupt, or for another device/kernel — then <paramref name="warn"/> says why).</summary>
    public static TuningEntry? TryRead(string directory, DeviceInfo device, Action<string>? warn)
    {
        var path = PathFor(directory, device);
        string text;
        try
        {
            if (!File.Exists(path)) return null;
            if (new FileInfo(path).Length > 64 * 1024) { warn?.Invoke($"tuning cache entry {path} is too large; ignored"); return null; }
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn?.Invoke($"tuning cache entry {path} unreadable ({e.Message}); ignored");
            return null;
        }
        try
        {
            var env = JsonSerializer.Deserialize<Envelope>(text, Json) ?? throw new JsonException("empty");
            if (env.Format != 1) throw new JsonException($"format {env.Format} is not 1");
            var sum = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(env.Payload ?? "")));
            if (!string.Equals(sum, env.Sha256, StringComparison.OrdinalIgnoreCase)) throw new JsonException("checksum mismatch");
            var entry = JsonSerializer.Deserialize<TuningEntry>(env.Payload!, Json) ?? throw new JsonException("empty payload");
            if (entry.Tiles is null) throw new JsonException("no tiles");
            if (entry.Device != device.Name || entry.Driver != device.DriverVersion || entry.KernelHash != ConvKernelHash(device.Backend))
                throw new JsonException("it names another device, driver or kernel");
            entry.Tiles.Validate();
            return entry;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            warn?.Invoke($"tuning cache entry {path} is corrupt ({e.Message}); ignored, using the shipped defaults");
            return null;
        }
    }

    /// <summary>Stores an entry atomically (temp file, then rename); returns its path.</summary>
    public static string Write(string directory, DeviceInfo device, TuningEntry entry)
    {
        Directory.CreateDirectory(directory);
        var payload = JsonSerializer.Serialize(entry, Json);
        var env = new Envelope(1, payload, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(payload))));
        var path = PathFor(directory, device);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(env, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        TunedConvTiles.Forget(device);
        return path;
    }
}
