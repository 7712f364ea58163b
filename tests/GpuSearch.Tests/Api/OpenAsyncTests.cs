// OpenAsync: stages reported in order, the kernels built before it returns, each compile from source reported, and
// cancellation honoured between steps (here: at the first compile of a cold kernel cache) without leaving the
// index folder locked. Uses the small real MobileNetV2 from ../shared.
using GpuSearch.Compute;
using GpuSearch.Tests.Compute;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Serve;

namespace GpuSearch.Tests.Api;

[Trait("Backend", "OpenCL")]
[Collection(KernelCacheEnvironment.Name)] // one test points GPUSEARCH_KERNEL_CACHE at an empty folder
public sealed class OpenAsyncTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gpusearch-openasync-").FullName;

    [ServeFact]
    public async Task ReportsEachStageInOrderAndReturnsAWarmEngine()
    {
        var seen = new Recorder();
        using var engine = await ImageSearchEngine.OpenAsync(Path.Combine(_root, "db"), EngineTests.Options(ServeFixture.Model), seen);
        var stages = seen.Reports.Select(p => p.Stage).Distinct().ToArray();
        Assert.Equal([OpenStage.Device, OpenStage.Model, OpenStage.Index, OpenStage.Kernels, OpenStage.Ready], stages);
        Assert.Equal(OpenStage.Ready, seen.Reports[^1].Stage);
        Assert.All(seen.Reports.Zip(seen.Reports.Skip(1)), p => Assert.True(p.Second.Elapsed >= p.First.Elapsed));
        // A compile is reported in the stage that ran it: the preprocessor's kernels can build while the model loads
        // (which ones depends on what the cache already holds), the model's own during the warm-up.
        Assert.All(seen.Reports.Where(p => p.KernelFile is not null), p => Assert.Contains(p.Stage, new[] { OpenStage.Model, OpenStage.Kernels }));
        Assert.Contains(seen.Reports, p => p.Stage == OpenStage.Kernels);
        Assert.Equal(0, engine.Count);

        // The kernels are built: a search compiles nothing more.
        var compiles = 0;
        void OnCompiling(KernelCompileProgress p) => Interlocked.Increment(ref compiles);
        KernelCache.Compiling += OnCompiling;
        try
        {
            var photo = SharedPhoto();
            Assert.Empty(await engine.SearchAsync(photo, new QueryOptions(1))); // empty index, but the image is embedded
        }
        finally { KernelCache.Compiling -= OnCompiling; }
        Assert.Equal(0, compiles);
    }

    [ServeFact]
    public async Task CancellingAtTheFirstCompileOfAColdCacheStopsTheOpenAndReleasesTheFolder()
    {
        var folder = Path.Combine(_root, "cold");
        using var cts = new CancellationTokenSource();
        var seen = new Recorder(p => { if (p.KernelFile is not null) cts.Cancel(); });
        var old = Environment.GetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE");
        Environment.SetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE", Directory.CreateDirectory(Path.Combine(_root, "kernels")).FullName);
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                ImageSearchEngine.OpenAsync(folder, EngineTests.Options(ServeFixture.Model), seen, cts.Token));
        }
        finally { Environment.SetEnvironmentVariable("GPUSEARCH_KERNEL_CACHE", old); }
        var compile = Assert.Single(seen.Reports, p => p.KernelFile is not null); // the next compile did not start
        Assert.Equal(0, compile.KernelsCompiled);
        Assert.DoesNotContain(seen.Reports, p => p.Stage == OpenStage.Ready);
        using var again = ImageSearchEngine.Open(folder, EngineTests.Options(ServeFixture.Model)); // not left locked
        Assert.Equal(0, again.Count);
    }

    [ServeFact]
    public async Task ACancelledTokenOpensNothing()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var folder = Path.Combine(_root, "never");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ImageSearchEngine.OpenAsync(folder, EngineTests.Options(ServeFixture.Model), null, cts.Token));
        Assert.False(Directory.Exists(folder));
    }

    private static string SharedPhoto() =>
        Support.SharedData.Find(EngineTests.Photos[0], out var why) ?? throw new InvalidOperationException(why);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Records reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Recorder(Action<OpenProgress>? then = null) : IProgress<OpenProgress>
    {
        private readonly List<OpenProgress> _reports = [];
        public IReadOnlyList<OpenProgress> Reports { get { lock (_reports) return _reports.ToArray(); } }
        public void Report(OpenProgress value)
        {
            lock (_reports) _reports.Add(value);
            then?.Invoke(value);
        }
    }
}
