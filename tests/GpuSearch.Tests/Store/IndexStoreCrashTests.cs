// The crash test: a child process appends to an index and is killed with SIGKILL at random points
// (fixed seed) over several cycles. Whatever it reported added must be there exactly once with the
// vector it computed, the index must open and verify, and a final run must complete the set.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using GpuSearch.Store;
using GpuSearch.StoreCrashChild;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Store;

public class IndexStoreCrashTests(ITestOutputHelper output) : StoreTestBase
{
    private const int Total = 1500; // large enough that no killed cycle runs to the end, even on a loaded machine
    private const int Cycles = 7;

    [Fact]
    [Trait("Category", "Crash")]
    public void Kill_9_at_random_points_loses_nothing_reported_and_resumes_without_duplicates()
    {
        IndexStore.Create(IndexDir, ChildWorkload.Metadata).Dispose();
        var rng = new Random(20261122);
        var reported = new Dictionary<string, long>(StringComparer.Ordinal); // path -> id, across all cycles
        int recoveries = 0, killedMidRun = 0;

        for (int cycle = 0; cycle < Cycles; cycle++)
        {
            // Cycle 0 kills on a timer (possibly during startup or recovery); the rest wait for some
            // progress, then kill after a random extra delay so the kill lands inside an Add.
            int waitLines = cycle == 0 ? 0 : rng.Next(1, 40);
            int extraMs = rng.Next(0, cycle == 0 ? 400 : 12);
            var lines = RunChild(seed: cycle, killAfterLines: waitLines, killDelayMs: extraMs, out bool finished);
            foreach (var l in lines.Where(l => l.StartsWith("RECOVERED ", StringComparison.Ordinal)))
            {
                output.WriteLine("  child " + l);
                recoveries++;
            }
            if (!finished) killedMidRun++;
            var added = Parse(lines);
            output.WriteLine($"cycle {cycle}: waited for {waitLines} lines + {extraMs} ms, child reported {added.Count} adds, finished={finished}");
            foreach (var (id, path) in added)
            {
                Assert.False(reported.ContainsKey(path), $"{path} was reported added twice (ids {(reported.TryGetValue(path, out var o) ? o : 0)} and {id})");
                reported[path] = id;
            }
            // Check after odd cycles only, so after even ones the next child itself recovers the crashed
            // folder (its RECOVERED lines) and keeps appending.
            if (cycle % 2 == 1 || cycle == Cycles - 1) CheckIndex(reported, expectComplete: false);
        }
        Assert.True(killedMidRun >= 5, $"only {killedMidRun} of {Cycles} cycles were killed before finishing");

        var final = RunChild(seed: 99, killAfterLines: -1, killDelayMs: 0, out bool done);
        Assert.True(done, "the final run must complete: " + string.Join(" | ", final.TakeLast(5)));
        foreach (var (id, path) in Parse(final))
        {
            Assert.False(reported.ContainsKey(path), $"final run re-added {path}, already reported with id {reported.GetValueOrDefault(path)}");
            reported[path] = id;
        }
        // Items committed by a child killed before it could print them are in the index but were never
        // reported; the final run skips them (Contains), so they are the only unreported ones.
        CheckIndex(reported, expectComplete: true);
        output.WriteLine($"{reported.Count} of {Total} items reported added; {Total - reported.Count} committed just before a kill and never reported");
        output.WriteLine($"{recoveries} recovery actions logged by the child across cycles");
    }

    private void CheckIndex(Dictionary<string, long> reported, bool expectComplete)
    {
        using var s = IndexStore.Open(IndexDir, ChildWorkload.Metadata.Fingerprint);
        foreach (var l in s.RecoveryLog) output.WriteLine("  test open recovered: " + l);
        var report = s.Verify();
        Assert.True(report.IsHealthy, report.ToString());
        var all = s.ReadAll();
        Assert.Equal(all.Paths.Length, all.Paths.Distinct().Count()); // every path at most once
        Assert.Equal(all.Ids.Length, all.Ids.Distinct().Count());
        var byPath = all.Paths.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        foreach (var (path, id) in reported)
        {
            Assert.True(byPath.TryGetValue(path, out int row), $"{path} (id {id}) was reported added but is not in the index");
            Assert.Equal(id, all.Ids[row]);
            Assert.Equal(ChildWorkload.VectorOf(path), all.Vector(row).ToArray());
        }
        // Items the child added but was killed before reporting may be present; they must be valid too.
        for (int i = 0; i < all.Ids.Length; i++)
            Assert.Equal(ChildWorkload.VectorOf(all.Paths[i]), all.Vector(i).ToArray());
        if (expectComplete) Assert.Equal(Total, all.Ids.Length);
    }

    private enum Known { Present, Deleted, Uncertain }

    [Fact]
    [Trait("Category", "Crash")]
    public void Kill_9_during_deletes_and_compactions_keeps_every_reported_change()
    {
        const int total = 500, cycles = 6;
        IndexStore.Create(IndexDir, ChildWorkload.Metadata).Dispose();
        var rng = new Random(7);
        var state = new Dictionary<string, (long Id, Known State)>(StringComparer.Ordinal);
        int killedMidRun = 0, compactions = 0;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int waitLines = rng.Next(1, 30), extraMs = rng.Next(0, 12);
            var lines = RunChild(seed: 100 + cycle, killAfterLines: waitLines, killDelayMs: extraMs, out bool finished, "churn", total);
            if (!finished) killedMidRun++;
            compactions += lines.Count(l => l.StartsWith("COMPACTED ", StringComparison.Ordinal));
            Apply(state, lines);
            output.WriteLine($"churn cycle {cycle}: {lines.Count} lines, finished={finished}; " + string.Join("; ", lines.Where(l => l.StartsWith("RECOVERED", StringComparison.Ordinal))));
            if (cycle % 2 == 1) CheckChurn(state, total, complete: false);
        }
        Assert.True(killedMidRun >= 4, $"only {killedMidRun} of {cycles} churn cycles were killed before finishing");
        var final = RunChild(seed: 999, killAfterLines: -1, killDelayMs: 0, out bool done, "churn", total);
        Assert.True(done);
        Apply(state, final);
        CheckChurn(state, total, complete: true);
        output.WriteLine($"{compactions} compactions completed across killed cycles");
    }

    private static void Apply(Dictionary<string, (long Id, Known State)> state, List<string> lines)
    {
        foreach (var l in lines)
        {
            var p = l.Split(' ');
            if (p.Length != 3 || !p[2].EndsWith(".jpg", StringComparison.Ordinal)) continue; // incl. a line cut by the kill
            long id = long.Parse(p[1], CultureInfo.InvariantCulture);
            switch (p[0])
            {
                case "ADDED": state[p[2]] = (id, Known.Present); break;
                case "DELETING": state[p[2]] = (id, Known.Uncertain); break; // the kill may land before or after the commit
                case "DELETED": state[p[2]] = (id, Known.Deleted); break;
            }
        }
    }

    private void CheckChurn(Dictionary<string, (long Id, Known State)> state, int total, bool complete)
    {
        using var s = IndexStore.Open(IndexDir, ChildWorkload.Metadata.Fingerprint);
        foreach (var l in s.RecoveryLog) output.WriteLine("  test open recovered: " + l);
        var report = s.Verify();
        Assert.True(report.IsHealthy, report.ToString());
        var all = s.ReadAll();
        Assert.Equal(all.Paths.Length, all.Paths.Distinct().Count());
        var byPath = all.Paths.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        for (int i = 0; i < all.Ids.Length; i++)
            Assert.Equal(ChildWorkload.VectorOf(all.Paths[i]), all.Vector(i).ToArray());
        foreach (var (path, (id, known)) in state)
        {
            if (known == Known.Present)
            {
                Assert.True(byPath.TryGetValue(path, out int row), $"{path} (id {id}) was reported added and not deleted, but is missing");
                Assert.Equal(id, all.Ids[row]);
            }
            else if (known == Known.Deleted)
                Assert.True(s.Get(id) is null or { Deleted: true }, $"{path} (id {id}) was reported deleted but is live");
        }
        if (!complete) return;
        var expected = Enumerable.Range(0, total).Where(i => !ChildWorkload.IsChurned(i)).Select(ChildWorkload.PathOf).Order(StringComparer.Ordinal);
        Assert.Equal(expected, all.Paths.Order(StringComparer.Ordinal));
        Assert.Equal(0L, (long)s.Verify().Issues.Count);
    }

    private static List<(long Id, string Path)> Parse(IEnumerable<string> lines)
    {
        var list = new List<(long, string)>();
        foreach (var l in lines)
        {
            var parts = l.Split(' ');
            // A line cut off by the kill has no path or a partial one; a whole line ends in ".jpg".
            if (parts.Length == 3 && parts[0] == "ADDED" && parts[2].EndsWith(".jpg", StringComparison.Ordinal))
                list.Add((long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2]));
        }
        return list;
    }

    /// <summary>Runs the child; kills it (SIGKILL) once it has printed <paramref name="killAfterLines"/> ADDED lines plus a delay. -1: never kill.</summary>
    private List<string> RunChild(int seed, int killAfterLines, int killDelayMs, out bool finished, string mode = "append", int total = Total)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "GpuSearch.StoreCrashChild.dll");
        Assert.True(File.Exists(dll), $"crash child not built next to the tests: {dll}");
        // Under `dotnet test` the SDK names its host; otherwise (a published test folder) run the child's apphost.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
            : null;
        var appHost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        var psi = new ProcessStartInfo(host ?? appHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // A child meant to be killed is paced, so the kill lands mid-run even when this thread is scheduled late.
        if (killAfterLines >= 0) psi.Environment["GPUSEARCH_CRASH_CHILD_PACE_MS"] = "5";
        if (host is not null) psi.ArgumentList.Add(dll);
        foreach (var a in new[] { IndexDir, total.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture), mode })
            psi.ArgumentList.Add(a);
        var lines = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        int addedLines = 0;
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lines.Enqueue(e.Data);
            if (e.Data.StartsWith("ADDED ", StringComparison.Ordinal) || e.Data.StartsWith("COMPACTED ", StringComparison.Ordinal)) Interlocked.Increment(ref addedLines);
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool killIssued = false;
        if (killAfterLines >= 0)
        {
            var sw = Stopwatch.StartNew();
            while (Volatile.Read(ref addedLines) < killAfterLines && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(1);
            if (killDelayMs > 0) Thread.Sleep(killDelayMs);
            killIssued = !p.HasExited;
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // already exited
        }
        Assert.True(p.WaitForExit(60_000), "child did not exit");
        p.WaitForExit(); // drains the redirected streams
        finished = lines.Any(l => l.StartsWith("DONE ", StringComparison.Ordinal));
        // A child we killed may have printed DONE just before the signal landed: 137 (SIGKILL) is then its exit code.
        if (!killIssued) Assert.True(p.ExitCode == 0, $"child failed (exit {p.ExitCode}): {string.Join(" | ", errors)}");
        else Assert.True(errors.IsEmpty && p.ExitCode is 0 or 137, $"child exit {p.ExitCode}, errors before the kill: " + string.Join(" | ", errors));
        return lines.ToList();
    }
}
