// What the executor uses: a device's tuned conv tiles when a valid cache entry exists, else its class's shipped
// default. Looked up once per device per process (again after a tuning run stores a winner); GPUSEARCH_TUNING=off skips
// the cache (A/B runs, bisecting).
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>Resolves the conv tiles a device runs with.</summary>
internal static class TunedConvTiles
{
    private static readonly TunedMemo<ConvTiles> Resolved = new();

    /// <summary>Raised when a cache entry is ignored (corrupt, for another device); the CLI prints it, the library never does.</summary>
    public static event Action<string>? Warning;

    /// <summary>Reports a warning to <see cref="Warning"/>'s subscribers (lazy tuning's failures and ignored entries).</summary>
    internal static void RaiseWarning(string message) => Warning?.Invoke(message);

    /// <summary>True unless <c>GPUSEARCH_TUNING=off</c>.</summary>
    public static bool UseTuned =>
        !string.Equals(Environment.GetEnvironmentVariable("GPUSEARCH_TUNING"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Tuned tiles for the device if cached and valid, else the shipped default of its class. A winner stored
    /// later (lazy tuning, <see cref="LazyConvTuning"/>) applies from the next call: the store drops the memo.</summary>
    public static ConvTiles For(DeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!UseTuned) return Default(device);
        return Resolved.Get(device, () => Resolve(device, TuningCache.DefaultDirectory, w => Warning?.Invoke(w)));
    }

    /// <summary>Tuned tiles from <paramref name="directory"/> if a valid entry exists, else the class default (not memoised).</summary>
    internal static ConvTiles Resolve(DeviceInfo device, string? directory, Action<string>? warn) =>
        directory is not null && TuningCache.TryRead(directory, device, warn) is { } e ? e.Tiles : Default(device);

    /// <summary>The shipped default for the device's class.</summary>
    public static ConvTiles Default(DeviceInfo device) => TuningDefaults.For(DeviceClassifier.Classify(device)).ConvDefault;

    /// <summary>Drops the memoised answers (after a tuning run stored a new winner).</summary>
    public static void Forget() => Resolved.Forget();
}
