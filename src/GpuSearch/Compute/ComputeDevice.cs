// The small device interface every backend implements (ggml-style): memory, a stream, kernels.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuSearch.Compute;

/// <summary>An open compute device. Owns its context; dispose it after every buffer and stream made from it.</summary>
internal abstract class ComputeDevice : IDisposable
{
    private readonly Dictionary<string, ComputeProgram> _programs = new();
    // Embedded file + rendered defines → program: ops look their kernel up on every launch, and expanding the
    // source (embedded read, #include regex per line) and hashing it cost ~0.1 ms a time, more than a small launch.
    private readonly Dictionary<string, ComputeProgram> _embeddedPrograms = new(StringComparer.Ordinal);
    private readonly object _programLock = new();
    private int _sourceCompiles;
    private ComputeStream? _stream;

    /// <summary>What the device is.</summary>
    public abstract DeviceInfo Info { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>
    /// Where this device logs its compiles from source (the engine that opened it sets it); per device object, so an
    /// engine logs its own compiles, not another engine's in the same process as <see cref="KernelCache.Compiling"/> would.
    /// </summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Allocates <paramref name="bytes"/> of device memory (contents undefined).</summary>
    /// <exception cref="DeviceOutOfMemoryException">The device cannot hold the allocation.</exception>
    public DeviceBuffer Allocate(long bytes)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (bytes > Info.MaxAllocationBytes)
            throw new DeviceOutOfMemoryException(
                $"Allocation of {bytes:N0} bytes exceeds the largest allocation {Info.Id} allows ({Info.MaxAllocationBytes:N0} bytes)",
                "Allocate", "MAX_ALLOCATION_EXCEEDED") { RequestedBytes = bytes };
        return AllocateCore(bytes);
    }

    /// <summary>Backend allocation.</summary>
    protected abstract DeviceBuffer AllocateCore(long bytes);

    /// <summary>
    /// Allocates host memory for <see cref="ComputeStream.UploadAsync"/> and <see cref="ComputeStream.DownloadAsync"/>
    /// (page-locked where the backend can, see <see cref="PinnedHostBuffer.IsPageLocked"/>).
    /// </summary>
    /// <exception cref="DeviceOutOfMemoryException">The host memory cannot be had (page-locked memory is scarcer than ordinary memory).</exception>
    public PinnedHostBuffer AllocatePinned(long bytes)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, PinnedHostBuffer.MaxBytes);
        try
        {
            return AllocatePinnedCore(bytes);
        }
        catch (OutOfMemoryException e)
        {
            throw new DeviceOutOfMemoryException($"Allocating {bytes:N0} bytes of host memory for transfers to {Info.Id} failed: {e.Message}",
                "AllocatePinned", "HOST_OUT_OF_MEMORY") { RequestedBytes = bytes };
        }
    }

    /// <summary>Backend host allocation; the default is page-aligned native memory.</summary>
    protected virtual PinnedHostBuffer AllocatePinnedCore(long bytes) => new AlignedHostBuffer(this, bytes);

    /// <summary>Creates an independent in-order stream (queue).</summary>
    public abstract ComputeStream CreateStream();

    /// <summary>The device's default stream, created on first use and disposed with the device.</summary>
    public ComputeStream Stream
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            lock (_programLock) return _stream ??= CreateStream();
        }
    }

    /// <summary>
    /// Compiles (or fetches from the in-memory and on-disk caches) a kernel file under <c>kernels/</c>
    /// with the given <c>#define</c>s, and returns the program to take kernels from.
    /// </summary>
    /// <exception cref="KernelBuildException">The compiler rejected the source; carries the log.</exception>
    public ComputeProgram GetProgram(string kernelFile, KernelDefines? defines = null)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentException.ThrowIfNullOrEmpty(kernelFile);
        defines ??= KernelDefines.Empty;
        var key = kernelFile + "\n" + defines.Render();
        lock (_programLock)
            if (_embeddedPrograms.TryGetValue(key, out var cached)) return cached;
        var p = GetProgram(KernelSource.Load(kernelFile, defines, Info.Backend));
        lock (_programLock) _embeddedPrograms[key] = p;
        return p;
    }

    /// <summary>Compiles an already expanded source (e.g. from <see cref="KernelSource.FromText"/>), with the same caching.</summary>
    public ComputeProgram GetProgram(KernelSource source)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentNullException.ThrowIfNull(source);
        lock (_programLock)
        {
            if (_programs.TryGetValue(source.CacheKey, out var p)) return p;
            p = BuildProgram(source);
            _programs[source.CacheKey] = p;
            return p;
        }
    }

    /// <summary>Shorthand for <c>GetProgram(file, defines).GetKernel(entry)</c>.</summary>
    public ComputeKernel GetKernel(string kernelFile, string entryPoint, KernelDefines? defines = null) =>
        GetProgram(kernelFile, defines).GetKernel(entryPoint);

    /// <summary>Backend compilation of a fully expanded source.</summary>
    protected abstract ComputeProgram BuildProgram(KernelSource source);

    /// <summary>
    /// Runs a compile from source (a kernel-cache miss) and reports it to <see cref="KernelCache.Compiling"/>
    /// before and after; backends call this around the compiler, not around a cached binary's load.
    /// </summary>
    protected T CompileFromSource<T>(KernelSource source, Func<T> compile)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(compile);
        var number = Interlocked.Increment(ref _sourceCompiles);
        EngineLog.KernelCompiling(Logger, source.FileName, Info.Id, number);
        KernelCache.Report(new KernelCompileProgress(Info, source.FileName, source.CacheKey, number, false, TimeSpan.Zero));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = compile();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        EngineLog.KernelCompiled(Logger, source.FileName, Info.Id, elapsed.TotalMilliseconds);
        KernelCache.Report(new KernelCompileProgress(Info, source.FileName, source.CacheKey, number, true, elapsed));
        return result;
    }

    /// <summary>Free and total device memory in bytes, where the backend can tell (else null).</summary>
    public virtual (long Free, long Total)? MemoryInfo => null;

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        lock (_programLock)
        {
            _stream?.Dispose();
            foreach (var p in _programs.Values) p.Dispose();
            _programs.Clear();
            _embeddedPrograms.Clear();
        }
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend context.</summary>
    protected abstract void DisposeCore();

    /// <inheritdoc />
    public override string ToString() => $"{Info.Id} ({Info.Name})";
}
