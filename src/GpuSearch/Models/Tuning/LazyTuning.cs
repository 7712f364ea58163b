// What lazy first-use tuning of the scan and the conv tiles share: the switch and budget (one environment variable),
// the outcome of a lazy call, and the once-per-device memo that reads the switch once and runs at most one tuning
// per device and process. See TUNING.md, "Lazy first-use tuning".
using System.Collections.Concurrent;
using System.Globalization;
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>What a lazy-tuning call did.</summary>
internal enum LazyTuneOutcome
{
    /// <summary>Off (<c>GPUSEARCH_LAZY_TUNING=off</c>, <c>CI=true</c>, <c>GPUSEARCH_TUNING=off</c>), no cache folder to
    /// keep a winner in, or not offered for this device (conv tiles: GPUs).</summary>
    Disabled,
    /// <summary>A valid entry was already cached; nothing was measured.</summary>
    Cached,
    /// <summary>Candidates were measured within the budget and the winner stored.</summary>
    Tuned,
    /// <summary>Tuning failed (reported as a warning); the shipped default stays.</summary>
    Failed,
    /// <summary>A background run was started (conv tiles); its own task reports how it ended.</summary>
    Started,
}

/// <summary>The lazy-tuning switch and budget.</summary>
/// <param name="Enabled">Whether a first use may tune.</param>
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

/// <summary>
/// One lazy-tuning decision per device per process: the first call for a device reads the settings (the environment,
/// once — later calls never read it again, whether tuning was on or off) and, when on, runs the tuning; concurrent
/// first calls wait for that one run; every later call returns its outcome at the cost of a dictionary lookup.
/// </summary>
/// <param name="settings">Where the switch comes from (<see cref="LazyTuningSettings.FromEnvironment"/>; tests count calls).</param>
internal sealed class LazyTuningOnce(Func<LazyTuningSettings> settings)
{
    private readonly ConcurrentDictionary<string, Lazy<LazyTuneOutcome>> _done = new(StringComparer.Ordinal);

    /// <summary>Raised when a lazy tuning run starts; the CLI prints it, the library never does.</summary>
    public static event Action<string>? Starting;

    /// <summary>Reports a starting run to <see cref="Starting"/>'s subscribers.</summary>
    internal static void RaiseStarting(string message) => Starting?.Invoke(message);

    /// <summary>The device's outcome: <paramref name="run"/>'s (called at most once per device, with the settings) when
    /// lazy tuning is on, else <see cref="LazyTuneOutcome.Disabled"/>.</summary>
    public LazyTuneOutcome Ensure(DeviceInfo device, Func<LazyTuningSettings, LazyTuneOutcome> run)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(run);
        return _done.GetOrAdd(TuningCache.MemoKey(device), _ => new Lazy<LazyTuneOutcome>(() =>
        {
            var s = settings();
            return s.Enabled ? run(s) : LazyTuneOutcome.Disabled;
        })).Value;
    }
}

/// <summary>Orders a search space for a budgeted run: candidates that differ from the default in the fewest tunables
/// first (stable, so ties keep the space's order), so a budget that ends early has measured the default's neighbourhood.</summary>
internal static class NearestFirst
{
    /// <summary><paramref name="space"/> ordered by how many of <paramref name="tunables"/> differ from <paramref name="def"/>'s.</summary>
    public static List<T> Order<T>(IEnumerable<T> space, T def, params Func<T, int>[] tunables) =>
        [.. space.OrderBy(t => tunables.Count(f => f(t) != f(def)))];
}
