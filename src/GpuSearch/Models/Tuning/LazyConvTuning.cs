// Lazy first-use tuning of the conv tiles on CPU devices. The first resolve of a CPU device's conv tiles that finds no
// valid tuning entry (a model session being planned, a direct conv) returns the shipped default at once and starts a
// budgeted ConvTuner over the quick search space on a thread of its own, with a device and stream of its own; the
// winner goes to the tuning cache, and sessions planned after it is stored (in this process or the next) run with it.
// Why not before the first inference, as the scan does: a conv tuning run compiles one conv kernel per candidate
// (seconds each on PoCL), and a model's first inference must not wait for that; the session already planned keeps
// the tiles it compiled its kernels for. See TUNING.md, "Lazy first-use tuning".
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>Runs the conv tuner in the background on first use of a CPU device.</summary>
internal static class LazyConvTuning
{
    private const int Rounds = 3;

    private static readonly LazyTuningOnce Once = new(LazyTuningSettings.FromEnvironment);

    /// <summary>
    /// Called when a device's conv tiles resolved to the shipped default because no valid entry is cached: on a CPU
    /// device with lazy tuning on, starts one background tuning run per process (the environment is read on the first
    /// call for a device only) and returns at once; the returned task ends with its outcome. Null when nothing starts
    /// (off, a GPU, or already started for this device).
    /// </summary>
    public static Task<LazyTuneOutcome>? StartIfUntuned(DeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsCpu) return null; // GPUs: `gpusearch tune` (a background tuner there would share the GPU with inference; unchecked on one)
        Task<LazyTuneOutcome>? started = null;
        Once.Ensure(device, settings =>
        {
            started = Start(device, settings, TuningCache.DefaultDirectory,
                ConvTuner.QuickCandidates(TuningDefaults.For(DeviceClassifier.Classify(device)).ConvSearchSpace, isCpu: true), ConvTuner.QuickShapes);
            return LazyTuneOutcome.Tuned; // the memo records that a run was started; its outcome is the task's
        });
        return started;
    }

    /// <summary>
    /// Starts <see cref="Run"/> on a new foreground thread with a device of its own opened from the registry (so the
    /// caller may dispose its device meanwhile) and returns its outcome as a task. Foreground: a short process (one CLI
    /// command) waits at exit for the run, at most the budget, instead of killing it half way and starting over in the
    /// next process; a run that ends stores a winner (the default when the budget ran out), so it runs once per
    /// device, driver and kernel.
    /// </summary>
    internal static Task<LazyTuneOutcome> Start(DeviceInfo device, LazyTuningSettings settings, string? directory,
        IReadOnlyList<ConvTiles> space, IReadOnlyList<Conv2dShape> shapes)
    {
        var done = new TaskCompletionSource<LazyTuneOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // Every exception ends here: an exception leaving a thread ends the process, and a tuning run the user did
            // not ask for must never do that (Run already reports the expected ones, compile and launch failures).
            try
            {
                using var own = DeviceRegistry.Default.Open(device);
                done.SetResult(Run(own, settings, directory, space, shapes, out _));
            }
#pragma warning disable CA1031 // see above
            catch (Exception e)
#pragma warning restore CA1031
            {
                Warn($"lazy conv tuning on {device.Id} failed ({e.GetType().Name}: {e.Message}); using the shipped defaults");
                done.TrySetResult(LazyTuneOutcome.Failed);
            }
        })
        { IsBackground = false, Name = "gpusearch lazy conv tuning" };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// One lazy conv-tuning decision for <paramref name="device"/> against <paramref name="directory"/>, on a stream of
    /// its own (not memoised, synchronous; tests call it with a small space). <paramref name="result"/> is the tuner's
    /// report when it ran.
    /// </summary>
    internal static LazyTuneOutcome Run(ComputeDevice device, LazyTuningSettings settings, string? directory,
        IReadOnlyList<ConvTiles> space, IReadOnlyList<Conv2dShape> shapes, out ConvTuneResult? result)
    {
        ArgumentNullException.ThrowIfNull(device);
        result = null;
        if (!settings.Enabled || directory is null) return LazyTuneOutcome.Disabled;
        if (TuningCache.TryRead(directory, device.Info, Warn) is not null) return LazyTuneOutcome.Cached;
        try
        {
            var def = TunedConvTiles.Default(device.Info);
            LazyTuningOnce.RaiseStarting($"tuning conv tiles on {device.Info.Id} in the background (first use, at most {settings.Budget.TotalSeconds:0.#} s; the next model session uses the winner; GPUSEARCH_LAZY_TUNING=off skips)");
            using var stream = device.CreateStream();
            result = new ConvTuner(device, stream).Run(Nearest(space, def), shapes, Rounds, directory, budget: settings.Budget);
            return LazyTuneOutcome.Tuned;
        }
        catch (Exception e) when (e is ComputeException or InvalidOperationException or IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            Warn($"lazy conv tuning on {device.Info.Id} failed ({e.Message}); using the shipped defaults");
            return LazyTuneOutcome.Failed;
        }
    }

    /// <summary>The space with the register tiles that differ from the default's in the fewest of rows and pixels first.</summary>
    internal static List<ConvTiles> Nearest(IReadOnlyList<ConvTiles> space, ConvTiles def) =>
        NearestFirst.Order(space, def, t => t.WorkPerThreadM, t => t.WorkPerThreadN);

    private static void Warn(string message) => TunedConvTiles.RaiseWarning(message);
}
