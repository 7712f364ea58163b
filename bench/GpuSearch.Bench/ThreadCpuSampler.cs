// CPU seconds per group of this process's threads over an interval, from /proc/self/task/*/stat (Linux; elsewhere
// no groups): shows inside a running pipeline which threads burn the CPU, without instrumenting the library. A
// sampler thread reads every thread's utime + stime every 20 ms and keeps the last value seen, so a thread that
// exits before the interval ends (the decode workers do) still counts, short of its last ≤ 20 ms. Groups by the
// thread's name: .NET names its threads (".NET Long Running Task" for LongRunning tasks such as the decode workers,
// ".NET TP Worker" for the thread pool); native threads (PoCL's device workers, ONNX Runtime's pool) keep the
// process's name; the main thread is the one whose id is the process id.
using System.Globalization;

namespace GpuSearch.Bench;

/// <summary>Samples per-thread CPU time of this process between <see cref="Start"/> and <see cref="Stop"/>.</summary>
internal sealed class ThreadCpuSampler
{
    private const string TaskDir = "/proc/self/task";
    private readonly Dictionary<int, (string Name, long Ticks)> _start = new(), _last = new();
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;

    /// <summary>Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public static bool Available => Directory.Exists(TaskDir);

    public void Start()
    {
        foreach (var (tid, v) in Read()) _start[tid] = v;
        _thread = new Thread(() =>
        {
            while (!_stop.Token.WaitHandle.WaitOne(20)) Sample();
        }) { IsBackground = true, Name = "cpu sampler" };
        _thread.Start();
    }

    /// <summary>Stops sampling; returns CPU seconds by thread group, largest first.</summary>
    public IReadOnlyList<(string Group, int Threads, double CpuSeconds)> Stop()
    {
        _stop.Cancel();
        _thread?.Join();
        Sample();
        int pid = Environment.ProcessId;
        return _last.Select(kv => (Group: Group(kv.Key, kv.Value.Name, pid),
                Cpu: (kv.Value.Ticks - (_start.TryGetValue(kv.Key, out var s) ? s.Ticks : 0)) / TicksPerSecond))
            .Where(x => x.Cpu > 0 && x.Group != "cpu sampler")
            .GroupBy(x => x.Group).Select(g => (g.Key, g.Count(), g.Sum(x => x.Cpu))).OrderByDescending(g => g.Item3).ToList();
    }

    private static string Group(int tid, string name, int pid) => tid == pid ? "main thread"
        : name.StartsWith(".NET Long", StringComparison.Ordinal) ? ".NET LongRunning (decode workers)"
        : name.StartsWith(".NET TP", StringComparison.Ordinal) ? ".NET thread pool"
        : name.StartsWith(".NET", StringComparison.Ordinal) || name.StartsWith("cpu sampler", StringComparison.Ordinal) ? name
        : "native (PoCL device workers; ORT's pool)";

    private void Sample()
    {
        foreach (var (tid, v) in Read()) _last[tid] = v;
    }

    private static IEnumerable<(int Tid, (string Name, long Ticks) Value)> Read()
    {
        if (!Available) yield break;
        foreach (var dir in Directory.EnumerateDirectories(TaskDir))
        {
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; } // the thread exited meanwhile
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name (field 3 is fields[0]).
            if (FieldsAfterName(stat) is not { Length: >= 13 } fields || !long.TryParse(fields[11], CultureInfo.InvariantCulture, out var ut)
                || !long.TryParse(fields[12], CultureInfo.InvariantCulture, out var st)) continue;
            yield return (int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture), (stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')], ut + st));
        }
    }

    /// <summary>
    /// The fields of a /proc stat line after "pid (name)", field 3 (state) first; null when the line has no name.
    /// The name may hold spaces and parentheses, so the fields count from the last ')'.
    /// </summary>
    internal static string[]? FieldsAfterName(string stat)
    {
        int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
        return open < 0 || close < open || close + 2 > stat.Length ? null : stat[(close + 2)..].Split(' ');
    }
}

/// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID, nanoseconds): per-image costs on a shared machine,
/// where wall time also counts the other tenants. Null where libc's clock_gettime is unavailable.</summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds, Nanoseconds; }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec t);

    public static long? NowNs()
    {
        try { return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : null; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <summary>Runs <paramref name="f"/> and adds the calling thread's CPU nanoseconds it took to <paramref name="ns"/>.</summary>
    public static T Measure<T>(Func<T> f, ref long ns)
    {
        long? t0 = NowNs();
        var r = f();
        if (t0 is { } a && NowNs() is { } b) ns += b - a;
        return r;
    }
}
