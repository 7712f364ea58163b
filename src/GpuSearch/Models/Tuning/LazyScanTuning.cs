// Lazy first-use tuning of the exact scan: the first search on a device with no valid scan entry in the tuning cache
// runs a budgeted ScanTuner over the class's search space (neighbours of the shipped default first) and stores the
// winner, so later searches and later processes read it. Once per device per process (LazyTuningOnce); the search
// that triggered it waits and already scans with the winner (ExactScanner resolves its tiles after this call). See TUNING.md.
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>Runs the scan tuner on first use of a device.</summary>
internal static class LazyScanTuning
{
    /// <summary>Cases of a lazy run: one query, a batch, a k beyond the fused lists (the select group), on a small database.</summary>
    public static IReadOnlyList<ScanCase> Cases { get; } = [new(1, 10), new(64, 10), new(16, 300)];

    private const int Rows = 16384, Dimension = 128, Rounds = 3;

    private static readonly LazyTuningOnce Once = new(LazyTuningSettings.FromEnvironment);

    /// <summary>Tunes the device's scan once per process when lazy tuning is on and no valid entry is cached. The
    /// environment is read on the first call for a device only.</summary>
    public static LazyTuneOutcome EnsureTuned(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Once.Ensure(device.Info, settings =>
            Run(device, settings, TuningCache.DefaultDirectory, TuningDefaults.For(DeviceClassifier.Classify(device.Info)).ScanSearchSpace, out _));
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
            LazyTuningOnce.RaiseStarting($"tuning the exact scan on {device.Info.Id} (first use, at most {settings.Budget.TotalSeconds:0.#} s; GPUSEARCH_LAZY_TUNING=off skips)");
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
        NearestFirst.Order(space, def, t => t.RowsPerWorkItem, t => t.BatchQueryTile, t => t.QueryBlock, t => t.SelectGroupSize,
            t => t.GroupsPerComputeUnit);

    private static void Warn(string message) => TunedScanTiles.RaiseWarning(message);
}
