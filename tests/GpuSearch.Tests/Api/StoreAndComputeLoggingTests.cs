// The layers under the engine log where it can see them: the index store each recovery action and quarantine move
// as an open repairs an interrupted run, and a compute device each kernel it compiles from source (its own, not
// another device object's in the same process).
using GpuSearch.Compute;
using GpuSearch.Store;
using GpuSearch.Tests.Store;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Tests.Api;

public sealed class StoreAndComputeLoggingTests : StoreTestBase
{
    [Fact]
    public void RecoveryActionsAndQuarantineMovesAreLoggedAsWarnings()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100))) s.Add(Items(0, 3));
        File.WriteAllBytes(SegmentPath("seg-000009.npy"), [1, 2, 3]); // a segment the catalog does not name
        var logs = new CapturingLoggerFactory();

        using var store = IndexStore.Open(IndexDir, logger: logs.CreateLogger(EngineLog.StoreCategory));

        var moved = Assert.Single(logs.WithId(301));
        Assert.Equal(LogLevel.Warning, moved.Level);
        Assert.Equal(Path.Combine("segments", "seg-000009.npy"), moved["File"]);
        Assert.Equal(Path.GetRelativePath(IndexDir, Path.Combine(store.QuarantineFolder!, "seg-000009.npy")), moved["Destination"]);
        var recovery = logs.WithId(300);
        Assert.Equal(store.RecoveryLog, recovery.Select(e => (string)e["Action"]!).ToArray());
        Assert.All(recovery, e => Assert.Equal((LogLevel.Warning, IndexDir), (e.Level, e["Folder"])));
    }

    [Fact]
    public void ACleanOpenLogsNothing()
    {
        using (var s = IndexStore.Create(IndexDir, Meta(capacity: 100))) s.Add(Items(0, 3));
        var logs = new CapturingLoggerFactory();
        using var store = IndexStore.Open(IndexDir, logger: logs.CreateLogger(EngineLog.StoreCategory));
        Assert.Empty(logs.Entries);
    }

    [Fact]
    [Trait("Backend", "OpenCL")]
    public void ACompileFromSourceIsLoggedByTheDeviceThatRanIt()
    {
        // Defines no other build uses, so both builds are cache misses whatever the kernel cache holds.
        KernelDefines Probe() => new KernelDefines().Set("ACT", 15).Set("LOGGING_PROBE", Random.Shared.Next(1, int.MaxValue));
        var logs = new CapturingLoggerFactory();
        using var logged = DeviceRegistry.Default.Open("cpu");
        using var silent = DeviceRegistry.Default.Open("cpu");
        logged.Logger = logs.CreateLogger(EngineLog.ComputeCategory);

        logged.GetKernel("broadcast.cl", "unary_act", Probe());
        silent.GetKernel("broadcast.cl", "unary_act", Probe());

        var compiling = Assert.Single(logs.WithId(400));
        var compiled = Assert.Single(logs.WithId(401));
        Assert.Equal((LogLevel.Debug, "broadcast.cl", logged.Info.Id), (compiling.Level, compiling["KernelFile"], compiling["DeviceId"]));
        Assert.Equal((LogLevel.Information, "broadcast.cl"), (compiled.Level, compiled["KernelFile"]));
        Assert.True((double)compiled["ElapsedMs"]! > 0);
    }
}
