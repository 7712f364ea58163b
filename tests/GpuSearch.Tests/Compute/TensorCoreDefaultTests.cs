// The tensor-core variants are opt-in (TUNING.md): without GPUSEARCH_TENSOR_CORES nothing requests them, and no
// OpenCL device (PoCL in CI) is ever offered them, whatever the request.
using GpuSearch.Compute;
using GpuSearch.Tests.Search;

namespace GpuSearch.Tests.Compute;

[Collection("search")]
public sealed class TensorCoreDefaultTests
{
    [Fact]
    public void OffUnlessRequestedAndNeverOnOpenCl()
    {
        var env = Environment.GetEnvironmentVariable(TensorCores.EnvironmentVariable);
        if (env is null) Assert.False(TensorCores.Requested, "requested without the environment variable");
        using (TensorCores.Override(true))
        {
            Assert.True(TensorCores.Requested);
            Assert.False(TensorCores.UseFor(SearchData.Device), $"{SearchData.Device.Info.Id} is not CUDA, yet would use tensor cores");
        }
        using (TensorCores.Override(false)) Assert.False(TensorCores.Requested);
    }
}
