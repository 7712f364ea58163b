// The CUDA backend end to end against a fake driver and a fake NVRTC built from FakeCuda/*.c, so the
// binding's native calls run in CI without a GPU. What the fakes cannot show (real PTX, real kernels,
// real device memory) is covered by CudaBackendTests on a machine with a CUDA device.
namespace GpuSearch.Tests.Compute;

/// <summary>A fact that skips, saying why, where the fake driver cannot be built.</summary>
public sealed class FakeCudaFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the fakes cannot be used.</summary>
    public FakeCudaFactAttribute()
    {
        if (FakeCudaHost.SkipReason is { } why) Skip = why;
    }
}

/// <summary>The CUDA backend against the fake driver and NVRTC (no GPU needed).</summary>
[Trait("Backend", "CUDA")]
public sealed class FakeCudaTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [FakeCudaFact] public void Enumerates() => FakeCudaHost.Run(nameof(FakeCudaScenarios.Enumerates), output.WriteLine);
    [FakeCudaFact] public void MemoryRoundTrips() => FakeCudaHost.Run(nameof(FakeCudaScenarios.MemoryRoundTrips), output.WriteLine);
    [FakeCudaFact] public void AsyncTransfersAndStreamWaits() => FakeCudaHost.Run(nameof(FakeCudaScenarios.AsyncTransfersAndStreamWaits), output.WriteLine);
    [FakeCudaFact] public void OutOfMemoryRecovers() => FakeCudaHost.Run(nameof(FakeCudaScenarios.OutOfMemoryRecovers), output.WriteLine);
    [FakeCudaFact] public void BuildsAndLaunches() => FakeCudaHost.Run(nameof(FakeCudaScenarios.BuildsAndLaunches), output.WriteLine);
    [FakeCudaFact] public void CompileErrorNamesFileAndLine() => FakeCudaHost.Run(nameof(FakeCudaScenarios.CompileErrorNamesFileAndLine), output.WriteLine);
    [FakeCudaFact] public void JitFailureCarriesTheJitLog() => FakeCudaHost.Run(nameof(FakeCudaScenarios.JitFailureCarriesTheJitLog), output.WriteLine);
    [FakeCudaFact] public void PtxCacheSkipsRecompilation() => FakeCudaHost.Run(nameof(FakeCudaScenarios.PtxCacheSkipsRecompilation), output.WriteLine);
    [FakeCudaFact] public void SeveralThreadsShareADevice() => FakeCudaHost.Run(nameof(FakeCudaScenarios.SeveralThreadsShareADevice), output.WriteLine);
    [FakeCudaFact] public void NvrtcRejectedOptionIsNamed() => FakeCudaHost.Run(nameof(FakeCudaScenarios.NvrtcRejectedOptionIsNamed), output.WriteLine);
    [FakeCudaFact] public void ArchIsClampedToWhatNvrtcSupports() => FakeCudaHost.Run(nameof(FakeCudaScenarios.ArchIsClampedToWhatNvrtcSupports), output.WriteLine);
}
