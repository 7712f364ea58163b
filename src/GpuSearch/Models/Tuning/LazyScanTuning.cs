// Lazy first-use tuning of the exact scan: the first search on a device with no valid scan entry in the tuning cache
// runs a budgeted ScanTuner over the class's search space (neighbours of the shipped default first) and stores the
// winner, so later searches and later processes read it. Once per device per process; see TUNING.md.
using System.Collections.Concurrent;
using System.Globalization;
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>What a lazy-tuning call did.</summary>
internal enum LazyTuneOutcome
{
    /// <summary>Off (<c>GPUSEARCH_LAZY_TUNING=off</c>, <c>CI=true</c>, <c>GPUSEARCH_TUNING=off</c>) or no cache folder to keep a winner in.</summary>
    Disabled,
    /// <summary>A valid entry was already cached; nothing was measured.</summary>
    Cached,
    /// <summary>Candidates were measured within the budget and the winner stored.</summary>
    Tuned,
    /// <summary>Tuning failed (reported through <see cref="TunedScanTiles.Warning"/>); the shipped default stays.</summary>
    Failed,
}

/// <summary>The lazy-tuning switch and budget.</summary>
/// <param name="Enabled">Whether a first search may tune.</param>
/// <param name="Budget">Wall time one lazy tuning run may take (checks, which compile the candidates, and timing).</param>
internal sealed record LazyTuningSettings(bool Enabled, TimeSpan Budget)
{
    /// <summary>Budget when none is given: a few candidates' compiles on a loaded 2-core CPU, well under a second of
    /// searching on a GPU.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>GPUSEARCH_LAZY_TUNING</c>: <c>off</c>/<c>0</c> = off, <c>on</c> = on with the default budget, a number = on with
    /// that many seconds. Unset: on, except under <c>CI=true</c> (CI starts with an empty cache and many short test
    /// processes; each would pay the budget). <c>GPUSEARCH_TUNING=off</c> turns it off too (the cache is ignored then).
    /// Anything else is refused as off.
    /// </summary>
    public static LazyTuningSettings Parse(string? value, string? ci, bool useTuned)
    {
        var off = new LazyTuningSettings(false, DefaultBudget);
        if (!useTuned) return off;
        var v = value?.Trim();
        if (string.IsNullOrEmpty(v))
            return string.Equals(ci?.Trim(), "true", StringComparison.OrdinalIgnoreCase) ? off : new(true, DefaultBudget);
        if (v.Equals("off", StringComparison.OrdinalIgnoreCase) || v == "0") return off;
        if (v.Equals("on", StringComparison.OrdinalIgnoreCase)) return new(true, DefaultBudget);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 3600)
            return new(true, TimeSpan.FromSeconds(s));
        return off;
    }

    /// <summary>From the process environment.</summary>
    public static LazyTuningSettings FromEnvironment() =>
        Parse(Environment.GetEnvironmentVariable("GPUSEARCH_LAZY_TUNING"), Environment.GetEnvironmentVariable("CI"), TunedConvTiles.UseTuned);
}

/// <summary>Runs the scan tuner on first use of a device.</summary>
internal static class LazyScanTuning
{
    /// <summary>Cases of a lazy run: one query, a batch, a k beyond the fused lists (the select group), on a small database.</summary>
    public static IReadOnlyList<ScanCase> Cases { get; } = [new(1, 10), new(64, 10), new(16, 300)];

    private const int Rows = 16384, Dimension = 128, Rounds = 3;

    private static readonly ConcurrentDictionary<string, Lazy<LazyTuneOutcome>> Done = new(StringComparer.Ordinal);

    /// <summary>Raised when a lazy tuning run starts (the first search waits for it); the CLI prints it, the library never does.</summary>
    public static event Action<string>? Starting;

    /// <summary>Tunes the device's scan once per process when lazy tuning is on and no valid entry is cached.</summary>
    public static LazyTuneOutcome EnsureTuned(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var i = device.Info;
        var key = $"{i.Backend}\n{i.Id}\n{i.Name}\n{i.DriverVersion}";
        if (Done.TryGetValue(key, out var done)) return done.Value;
        var settings = LazyTuningSettings.FromEnvironment();
        if (!settings.Enabled) return LazyTuneOutcome.Disabled;
        return Done.GetOrAdd(key, k => new Lazy<LazyTuneOutcome>(() =>
        {
            var space = TuningDefaults.For(DeviceClassifier.Classify(i)).ScanSearchSpace;
            return Run(device, settings, TuningCache.DefaultDirectory, space, out _);
        })).Value;
    }

    /// <summary>
    /// One lazy-tuning decision for <paramref name="device"/> against <paramref name="directory"/> (not memoised; tests
    /// call it directly with a small search space). <paramref name="result"/> is the tuner's report when it ran.
    /// </summary>
    internal static LazyTuneOutcome Run(ComputeDevice device, LazyTuningSettings settings, string? directory,
        IReadOnlyList<ScanTiles> space, out ScanTuneResult? result, int rows = Rows, int dimension = Dimension)
    {
        result = null;
        if (!settings.Enabled || directory is null) return LazyTuneOutcome.Disabled;
        if (TuningCache.TryReadScan(directory, device.Info, w => Warn(w)) is not null) return LazyTuneOutcome.Cached;
        try
        {
            var def = TunedScanTiles.Default(device.Info);
            Starting?.Invoke($"tuning the exact scan on {device.Info.Id} (first use, at most {settings.Budget.TotalSeconds:0.#} s; GPUSEARCH_LAZY_TUNING=off skips)");
            result = new ScanTuner(device, rows, dimension).Run(Nearest(space, def), Cases, Rounds, directory, budget: settings.Budget);
            return LazyTuneOutcome.Tuned;
        }
        catch (Exception e) when (e is ComputeException or InvalidOperationException or IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            Warn($"lazy scan tuning on {device.Info.Id} failed ({e.Message}); using the shipped defaults");
            return LazyTuneOutcome.Failed;
        }
    }

    /// <summary>The search space with the candidates that differ from the default in the fewest tunables first, so a
    /// budget that ends early has measured the default's neighbourhood.</summary>
    internal static List<ScanTiles> Nearest(IReadOnlyList<ScanTiles> space, ScanTiles def) =>
        [.. space.OrderBy(t => (t.RowsPerWorkItem != def.RowsPerWorkItem ? 1 : 0) + (t.BatchQueryTile != def.BatchQueryTile ? 1 : 0)
            + (t.QueryBlock != def.QueryBlock ? 1 : 0) + (t.SelectGroupSize != def.SelectGroupSize ? 1 : 0)
            + (t.GroupsPerComputeUnit != def.GroupsPerComputeUnit ? 1 : 0))];

    private static void Warn(string message) => TunedScanTiles.RaiseWarning(message);
}
