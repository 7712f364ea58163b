// OpenAsync: the first open on a machine compiles every kernel the model needs (minutes on a CPU device with a
// cold kernel cache), so the async open reports its stages and each compile, honours cancellation between them,
// and runs one forward pass before returning, so the first add or search does not pay for the compile silently.
using System.Diagnostics;
using GpuSearch.Compute;
using GpuSearch.Imaging;
using Microsoft.Extensions.Logging;

namespace GpuSearch;

/// <summary>What <see cref="ImageSearchEngine.OpenAsync"/> is doing.</summary>
public enum OpenStage
{
    /// <summary>Opening the compute device.</summary>
    Device,
    /// <summary>Loading, checking and optimising the model (the GPU preprocessing kernels may be built here).</summary>
    Model,
    /// <summary>Opening the index folder (recovering an interrupted run) and loading its vectors onto the device.</summary>
    Index,
    /// <summary>Running one image through the model so every kernel it needs is built (compiled, or loaded from the kernel cache).</summary>
    Kernels,
    /// <summary>Done: the engine is returned next.</summary>
    Ready,
}

/// <summary>Progress of <see cref="ImageSearchEngine.OpenAsync"/>.</summary>
/// <param name="Stage">The current stage.</param>
/// <param name="KernelsCompiled">Kernel programs compiled from source so far (0 when the on-disk kernel cache held them all).</param>
/// <param name="KernelFile">The kernel file whose compile just started (e.g. <c>conv.cl</c>), else null.</param>
/// <param name="Elapsed">Time since the call started.</param>
public readonly record struct OpenProgress(OpenStage Stage, int KernelsCompiled, string? KernelFile, TimeSpan Elapsed);

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Opens the index in <paramref name="folder"/> like <see cref="Open(string, EngineOptions?)"/>, off the calling thread,
    /// then runs one blank image through the model so the kernels are built before the engine is returned. Each
    /// kernel compiled from source (a cold kernel cache) is reported; a warm cache reports none.
    /// </summary>
    /// <param name="folder">The index folder.</param>
    /// <param name="options">How to open it (null: defaults).</param>
    /// <param name="progress">Told each stage and each kernel compile.</param>
    /// <param name="cancellationToken">Checked before each stage and before each kernel compile; on cancellation everything opened so far is released.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static Task<ImageSearchEngine> OpenAsync(string folder, EngineOptions? options = null, IProgress<OpenProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return Task.Run(() => OpenObserved(folder, options, progress, cancellationToken), cancellationToken);
    }

    private static ImageSearchEngine OpenObserved(string folder, EngineOptions? options, IProgress<OpenProgress>? progress, CancellationToken ct)
    {
        using var observer = new OpenObserver(progress, ct);
        var engine = Open(folder, options);
        try
        {
            observer.Enter(OpenStage.Kernels);
            EngineLog.OpenStage(engine._logger, engine.Folder, OpenStage.Kernels);
            engine.WarmUp();
            observer.Enter(OpenStage.Ready);
            EngineLog.OpenReady(engine._logger, observer.Elapsed.TotalMilliseconds, observer.KernelsCompiled);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>One mid-grey image of the model's input size through preprocessing and the model (results dropped).</summary>
    private void WarmUp()
    {
        var (w, h) = _embedder.InputSize;
        if (_embedder.CheckSize(w, h) is not null)
        {
            EngineLog.WarmUpSkipped(_logger, w, h); // a spec that cannot take its own output size: the first real image builds the kernels
            return;
        }
        var grey = new byte[w * h * 3];
        grey.AsSpan().Fill(128);
        var img = new DecodedImage(w, h, grey, w, h, ImageFormat.Unknown);
        var v = new float[Dimension];
        _embedder.Embed([img], v);
    }

    /// <summary>
    /// Opens the device <see cref="EngineOptions.Device"/> names and logs the choice; "auto" landing on a CPU device is a
    /// fallback (no GPU, or its driver is missing) and logged as a warning naming what was found and why backends are unavailable.
    /// </summary>
    internal static ComputeDevice OpenDevice(EngineOptions options, ILogger log)
    {
        var device = DeviceRegistry.Default.Open(options.Device);
        device.Logger = options.LoggerFactory.CreateLogger(EngineLog.ComputeCategory);
        var info = device.Info;
        EngineLog.DeviceSelected(log, options.Device, info.Id, info.Name, info.Backend);
        if (info.IsCpu && string.Equals(options.Device.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            EngineLog.DeviceFallback(log, info.Id, info.Name, DeviceRegistry.Default.Describe());
        return device;
    }

    /// <summary>
    /// Reports stages and the kernel compiles of this open only: <see cref="KernelCache.Compiling"/> is process-wide, so a
    /// compile counts when it runs in this open's async flow. A cancelled token stops the open at the next compile.
    /// </summary>
    private sealed class OpenObserver : IDisposable
    {
        private static readonly AsyncLocal<OpenObserver?> Current = new();
        private readonly IProgress<OpenProgress>? _progress;
        private readonly CancellationToken _ct;
        private readonly long _started = Stopwatch.GetTimestamp();
        private OpenStage _stage;
        private int _compiled;

        public OpenObserver(IProgress<OpenProgress>? progress, CancellationToken ct)
        {
            _progress = progress; _ct = ct;
            Current.Value = this;
            KernelCache.Compiling += OnCompiling;
        }

        /// <summary>A stage of <see cref="Open(string, EngineOptions?)"/>: reported and a cancellation point under OpenAsync, nothing otherwise.</summary>
        public static void Step(OpenStage stage) => Current.Value?.Enter(stage);

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);
        public int KernelsCompiled => Volatile.Read(ref _compiled);

        public void Enter(OpenStage stage)
        {
            _ct.ThrowIfCancellationRequested();
            _stage = stage;
            _progress?.Report(new OpenProgress(stage, Volatile.Read(ref _compiled), null, Stopwatch.GetElapsedTime(_started)));
        }

        private void OnCompiling(KernelCompileProgress p)
        {
            if (!ReferenceEquals(Current.Value, this)) return;
            if (p.Done) { Interlocked.Increment(ref _compiled); return; }
            // Thrown before the compile starts, so nothing is half-built; the open's catch releases what was made.
            _ct.ThrowIfCancellationRequested();
            _progress?.Report(new OpenProgress(_stage, Volatile.Read(ref _compiled), p.KernelFile, Stopwatch.GetElapsedTime(_started)));
        }

        public void Dispose()
        {
            KernelCache.Compiling -= OnCompiling;
            Current.Value = null;
        }
    }
}
