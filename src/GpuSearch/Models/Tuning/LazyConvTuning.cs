// Lazy first-use tuning of the conv tiles on CPU devices. When a model session's first inference on a CPU device with
// no valid tuning entry has been enqueued, a budgeted ConvTuner over the quick search space starts on a thread of its
// own, with a device and stream of its own, and waits for that inference to finish before it measures anything; the
// winner goes to the tuning cache, and sessions planned after it is stored (in this process or the next) run with it.
// Why not before the first inference, as the scan does: a conv tuning run compiles one conv kernel per candidate
// (seconds each on PoCL), and a model's first inference must not wait for that. Why not at model load: measured on
// the 2-core VM, a tuner started at plan time made ResNet-18's first batch-8 inference 2-3x slower (it shares PoCL's
// worker threads). The session already planned keeps the tiles it compiled its kernels for. See TUNING.md.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>Runs the conv tuner in the background on first use of a CPU device.</summary>
internal static class LazyConvTuning
{
    private const int Rounds = 3;

    private static readonly LazyTuningOnce Once = new(LazyTuningSettings.FromEnvironment);

    /// <summary>
    /// Called by a model session after its first inference was enqueued on <paramref name="stream"/>. On a CPU device
    /// with lazy tuning on and no valid conv entry cached, starts one background tuning run per device and process (the
    /// environment and the cache are read on the first call for a device only) that begins measuring once that
    /// inference has finished, and returns its task; null when nothing starts (off, a GPU, cached, already started).
    /// </summary>
    public static Task<LazyTuneOutcome>? AfterFirstInference(ComputeStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var device = stream.Device.Info;
        if (!device.IsCpu) return null; // GPUs: `gpusearch tune` (a background tuner there would share the GPU with inference; unchecked on one)
        Task<LazyTuneOutcome>? started = null;
        Once.Ensure(device, settings =>
        {
            var directory = TuningCache.DefaultDirectory;
            if (directory is null) return LazyTuneOutcome.Disabled;
            if (TuningCache.TryRead(directory, device, Warn) is not null) return LazyTuneOutcome.Cached;
            var space = ConvTuner.QuickCandidates(TuningDefaults.For(DeviceClassifier.Classify(device)).ConvSearchSpace, isCpu: true);
            started = Start(device, settings, directory, space, ConvTuner.QuickShapes, stream.Record());
            return LazyTuneOutcome.Started;
        });
        return started;
    }

    /// <summary>
    /// Starts <see cref="Run"/> on a new foreground thread with a device of its own opened from the registry (so the
    /// caller may dispose its device meanwhile), after <paramref name="after"/> (if given) has completed, and returns
    /// its outcome as a task. Foreground: a short process (one CLI command) waits at exit for the run, at most the
    /// budget, instead of killing it half way and starting over in the next process; a run that ends stores a winner
    /// (the default when the budget ran out), so it runs once per device, driver and kernel.
    /// </summary>
    internal static Task<LazyTuneOutcome> Start(DeviceInfo device, LazyTuningSettings settings, string? directory,
        IReadOnlyList<ConvTiles> space, IReadOnlyList<Conv2dShape> shapes, ComputeEvent? after = null)
    {
        var done = new TaskCompletionSource<LazyTuneOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // Every exception ends here: an exception leaving a thread ends the process, and a tuning run the user did
            // not ask for must never do that (Run already reports the expected ones, compile and launch failures).
            try
            {
                if (after is not null) using (after) after.Wait();
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
