// What the exact scan uses for every tunable a ScanTuning leaves null: the device's tuned scan tiles when a valid
// cache entry exists, else its class's shipped default. Looked up once per device per process, like the conv
// tiles; GPUSEARCH_TUNING=off skips the cache.
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>Resolves the scan tunables a device runs with.</summary>
internal static class TunedScanTiles
{
    private static readonly TunedMemo<ScanTiles> Resolved = new();

    /// <summary>Raised when a cache entry is ignored (corrupt, for another device); the CLI prints it, the library never does.</summary>
    public static event Action<string>? Warning;

    /// <summary>Reports a warning to <see cref="Warning"/>'s subscribers (lazy tuning's failures and ignored entries).</summary>
    internal static void RaiseWarning(string message) => Warning?.Invoke(message);

    /// <summary>Tuned scan tunables for the device if cached and valid, else the shipped default of its class.</summary>
    public static ScanTiles For(DeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!TunedConvTiles.UseTuned) return Default(device);
        return Resolved.Get(device, () => Resolve(device, TuningCache.DefaultDirectory, w => Warning?.Invoke(w)));
    }

    /// <summary>Tuned tunables from <paramref name="directory"/> if a valid entry exists, else the class default (not memoised).</summary>
    internal static ScanTiles Resolve(DeviceInfo device, string? directory, Action<string>? warn) =>
        directory is not null && TuningCache.TryReadScan(directory, device, warn) is { } e ? e.Tiles : Default(device);

    /// <summary>The shipped default for the device's class.</summary>
    public static ScanTiles Default(DeviceInfo device) => TuningDefaults.For(DeviceClassifier.Classify(device)).ScanDefault;

    /// <summary>Drops the memoised answers (after a tuning run stored a new winner).</summary>
    public static void Forget() => Resolved.Forget();
}
