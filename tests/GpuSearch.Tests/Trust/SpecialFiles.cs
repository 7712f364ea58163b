// Test helpers for special files: a named pipe made with mkfifo(1) (no managed API creates one) and a
// bounded wait, so a regression that blocks on a FIFO fails the test instead of hanging the run.
using System.Diagnostics;

namespace GpuSearch.Tests.Trust;

internal static class SpecialFiles
{
    /// <summary>Creates a FIFO at <paramref name="path"/>.</summary>
    public static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>Runs <paramref name="action"/> on a worker and fails when it does not finish in time
    /// (the worker is abandoned, which beats hanging the whole test run).</summary>
    public static T Within<T>(TimeSpan limit, Func<T> action)
    {
        var task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!task.Wait(limit)) Assert.Fail($"did not finish within {limit.TotalSeconds} s (blocked on a special file?)");
        return task.Result;
    }

    /// <summary>Runs <paramref name="action"/> within the limit and returns the exception it threw.</summary>
    public static Exception ThrowsWithin(TimeSpan limit, Action action) => Within(limit, () =>
    {
        try { action(); }
        catch (Exception e) { return e; }
        Assert.Fail("expected an exception");
        return null!;
    });
}
