// Prints the library's kernel-compile reports on stderr: a cold kernel cache means minutes of compiling on
// a CPU device before the first image, which must not look like a hang. A warm cache reports nothing, so
// later runs stay quiet.
using System.Diagnostics;
using GpuSearch.Compute;

namespace GpuSearch.Cli;

internal sealed class KernelCompileReporter : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    private readonly TextWriter _error;
    private readonly object _lock = new();
    private readonly Dictionary<string, (int Compiled, long Started)> _devices = new(StringComparer.Ordinal);
    private long _lastLine;
    private bool _attached;

    public KernelCompileReporter(TextWriter error) => _error = error;

    /// <summary>A reporter listening to <see cref="KernelCache.Compiling"/> until disposed.</summary>
    public static KernelCompileReporter Attach(TextWriter error)
    {
        var r = new KernelCompileReporter(error) { _attached = true };
        KernelCache.Compiling += r.Report;
        return r;
    }

    /// <summary>One line when a device's first compile starts, then a progress line at most every few seconds.</summary>
    public void Report(KernelCompileProgress p)
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            if (!_devices.TryGetValue(p.Device.Id, out var state))
            {
                state = (0, now);
                var cache = KernelCache.Directory is { } dir ? $"cached in {dir}" : "not cached: GPUSEARCH_KERNEL_CACHE=off";
                _error.WriteLine($"compiling kernels for {p.Device.Id} ({p.Device.Name}), first run only ({cache})…");
                _lastLine = now;
            }
            if (p.Done) state.Compiled++;
            _devices[p.Device.Id] = state;
            if (p.Done && Stopwatch.GetElapsedTime(_lastLine, now) >= Interval)
            {
                _error.WriteLine($"  {Progress(p.Device.Id, state, now)}, last {p.KernelFile} ({p.Elapsed.TotalSeconds:F1} s)");
                _lastLine = now;
            }
        }
    }

    /// <summary>Prints the totals (when anything was compiled) and stops listening.</summary>
    public void Dispose()
    {
        if (_attached) KernelCache.Compiling -= Report;
        _attached = false;
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var (id, state) in _devices)
                if (state.Compiled > 0) _error.WriteLine($"  {Progress(id, state, now)}; later runs load them from the cache");
            _devices.Clear();
        }
    }

    private static string Progress(string id, (int Compiled, long Started) state, long now) =>
        $"{state.Compiled} kernel program{(state.Compiled == 1 ? "" : "s")} compiled for {id} in {Stopwatch.GetElapsedTime(state.Started, now).TotalSeconds:F0} s";
}
