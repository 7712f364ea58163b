// Tuned winners on disk, beside the compiled kernels: one small JSON per kind (conv tiles, scan tunables) and
// device + driver + kernel source.
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

/// <summary>What a scan tuning cache entry holds.</summary>
/// <param name="Device">Device name.</param>
/// <param name="Driver">Driver version.</param>
/// <param name="KernelHash">Hash of the expanded scan and select kernel sources it was measured with.</param>
/// <param name="Class">Device class at tuning time.</param>
/// <param name="Isa">Host CPU vector ISA at tuning time.</param>
/// <param name="Tiles">The winning scan tunables.</param>
/// <param name="WinnerMs">Winner's summed time over the tuning cases.</param>
/// <param name="DefaultMs">The shipped default's summed time over the same cases.</param>
/// <param name="TunedAtUtc">When it was measured.</param>
internal sealed record ScanTuningEntry(string Device, string Driver, string KernelHash, string Class, string Isa, ScanTiles Tiles,
    double WinnerMs, double DefaultMs, DateTime TunedAtUtc);

/// <summary>Reads and writes tuned conv tiles and scan tunables under the kernel cache folder.</summary>
internal static class TuningCache
{
    private sealed record Envelope(int Format, string Payload, string Sha256);

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Folder of tuning entries: <c>tuning/</c> under <see cref="KernelCache.Directory"/>, null when caching is off.</summary>
    public static string? DefaultDirectory => KernelCache.Directory is { } d ? Path.Combine(d, "tuning") : null;

    /// <summary>In-process memo key of a device (the per-process lookups of tuned tiles and lazy-tuning runs).</summary>
    public static string MemoKey(DeviceInfo d) => $"{d.Backend}\n{d.Id}\n{d.Name}\n{d.DriverVersion}";

    /// <summary>Hash of the expanded conv kernel (includes resolved) for a backend: a kernel edit invalidates old winners.</summary>
    public static string ConvKernelHash(ComputeBackend backend) =>
        KernelSource.Load("conv.cl", KernelDefines.Empty, backend).CacheKey[..16];

    /// <summary>Hash of the expanded scan kernels (scan_topk.cl, select_k.cl, topk_merge.cl) for a backend.</summary>
    public static string ScanKernelHash(ComputeBackend backend) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n",
            new[] { "scan_topk.cl", "select_k.cl", "topk_merge.cl" }.Select(f => KernelSource.Load(f, KernelDefines.Empty, backend).CacheKey)))))[..16];

    /// <summary>Conv entry file for a device in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, DeviceInfo device) => PathFor(directory, device, "conv-tiles", ConvKernelHash(device.Backend));

    /// <summary>Scan entry file for a device in <paramref name="directory"/>.</summary>
    public static string ScanPathFor(string directory, DeviceInfo device) => PathFor(directory, device, "scan-tiles", ScanKernelHash(device.Backend));

    private static string PathFor(string directory, DeviceInfo device, string kind, string kernelHash)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{kind}\n{device.Backend}\n{device.Name}\n{device.Vendor}\n{device.DriverVersion}\n{kernelHash}")))[..32];
        return Path.Combine(directory, key + ".json");
    }

    /// <summary>The stored conv entry for a device, or null (absent, corrupt, or for another device/kernel — then <paramref name="warn"/> says why).</summary>
    public static TuningEntry? TryRead(string directory, DeviceInfo device, Action<string>? warn) =>
        Read<TuningEntry>(PathFor(directory, device), warn, e =>
        {
            if (e.Tiles is null) throw new JsonException("no tiles");
            if (e.Device != device.Name || e.Driver != device.DriverVersion || e.KernelHash != ConvKernelHash(device.Backend))
                throw new JsonException("it names another device, driver or kernel");
            e.Tiles.Validate();
        });

    /// <summary>The stored scan entry for a device, or null (absent, corrupt, or for another device/kernel — then <paramref name="warn"/> says why).</summary>
    public static ScanTuningEntry? TryReadScan(string directory, DeviceInfo device, Action<string>? warn) =>
        Read<ScanTuningEntry>(ScanPathFor(directory, device), warn, e =>
        {
            if (e.Tiles is null) throw new JsonException("no tiles");
            if (e.Device != device.Name || e.Driver != device.DriverVersion || e.KernelHash != ScanKernelHash(device.Backend))
                throw new JsonException("it names another device, driver or kernel");
            e.Tiles.Validate();
            if (e.Tiles.SelectGroupSize > device.MaxWorkGroupSize)
                throw new JsonException($"select group of {e.Tiles.SelectGroupSize} exceeds the device's {device.MaxWorkGroupSize}");
        });

    private static T? Read<T>(string path, Action<string>? warn, Action<T> check) where T : class
    {
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
            var entry = JsonSerializer.Deserialize<T>(env.Payload!, Json) ?? throw new JsonException("empty payload");
            check(entry);
            return entry;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            warn?.Invoke($"tuning cache entry {path} is corrupt ({e.Message}); ignored, using the shipped defaults");
            return null;
        }
    }

    /// <summary>Stores a conv entry atomically (temp file, then rename); returns its path.</summary>
    public static string Write(string directory, DeviceInfo device, TuningEntry entry)
    {
        var path = Store(PathFor(directory, device), entry);
        TunedConvTiles.Forget();
        return path;
    }

    /// <summary>Stores a scan entry atomically (temp file, then rename); returns its path.</summary>
    public static string WriteScan(string directory, DeviceInfo device, ScanTuningEntry entry)
    {
        var path = Store(ScanPathFor(directory, device), entry);
        TunedScanTiles.Forget();
        return path;
    }

    private static string Store<T>(string path, T entry)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var payload = JsonSerializer.Serialize(entry, Json);
        var env = new Envelope(1, payload, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(payload))));
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(env, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
