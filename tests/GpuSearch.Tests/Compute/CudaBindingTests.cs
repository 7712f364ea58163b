// Tests of the CUDA backend that need no GPU: availability reporting where the driver is absent,
// the registry still working, the NVRTC probe list, and status → exception mapping.
using GpuSearch.Compute;
using GpuSearch.Compute.Cuda;
using GpuSearch.Native.Cuda;
using GpuSearch.Native.Nvrtc;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "CUDA")]
public sealed class CudaBindingTests(ITestOutputHelper output)
{
    [Fact]
    public void BackendReportsDevicesOrSaysWhyNot()
    {
        var b = CudaBackend.Instance;
        output.WriteLine(b.Devices.Count > 0
            ? "CUDA devices: " + string.Join("; ", b.Devices.Select(d => $"{d.Id} {d.Name} {d.DriverVersion}"))
            : "CUDA unavailable: " + b.UnavailableReason);
        Assert.Equal(ComputeBackend.Cuda, b.Backend);
        if (b.Devices.Count > 0)
        {
            Assert.Null(b.UnavailableReason);
            Assert.All(b.Devices, d => Assert.StartsWith("cuda:", d.Id, StringComparison.Ordinal));
            return;
        }
        Assert.False(string.IsNullOrWhiteSpace(b.UnavailableReason));
        if (CuApi.UnavailableReason is not null)
        {
            // No driver library at all (this CI machine): the reason lists the names that were tried.
            Assert.Contains("tried", b.UnavailableReason);
            Assert.Contains(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", b.UnavailableReason);
        }
        else
        {
            Assert.Matches("cuInit|reports no devices|NVRTC|enumeration failed", b.UnavailableReason!);
        }
    }

    [Fact]
    public void RegistryListsCudaFirstAndStillWorksWithoutIt()
    {
        var registry = DeviceRegistry.Default;
        Assert.IsType<CudaBackend>(registry.Backends[0]);
        var devices = registry.Devices; // must not throw whatever CUDA's state
        output.WriteLine(registry.Describe());
        if (CudaBackend.Instance.Devices.Count == 0)
        {
            Assert.DoesNotContain(devices, d => d.Backend == ComputeBackend.Cuda);
            Assert.Contains("Cuda: ", registry.Describe());
            var e = Assert.Throws<DeviceNotFoundException>(() => registry.Resolve("cuda"));
            Assert.Contains(CudaBackend.Instance.UnavailableReason!, e.Message);
        }
        else
        {
            Assert.Equal(ComputeBackend.Cuda, registry.Resolve("auto")[0].Backend);
        }
    }

    [Fact]
    public void NvrtcProbeCoversVersionedNamesAndToolkitFolders()
    {
        if (OperatingSystem.IsWindows()) return; // the Linux list is what CI and the GPU machine use
        var candidates = NvrtcApi.Candidates().ToArray();
        foreach (var name in new[] { "libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.13", "libnvrtc.so.11.2" })
            Assert.Contains(name, candidates);
        Assert.Contains("/usr/local/cuda/lib64/libnvrtc.so.12", candidates);
        Assert.Contains("/usr/lib/x86_64-linux-gnu/libnvrtc.so.12", candidates);
        if (NvrtcApi.UnavailableReason is { } why)
        {
            output.WriteLine(why);
            Assert.Contains("libnvrtc.so.12", why);
        }
    }

    [Fact]
    public void OutOfMemoryStatusBecomesTheTypedException()
    {
        var e = Assert.IsType<DeviceOutOfMemoryException>(CuStatus.Create(CuStatus.OutOfMemory, "cuMemAlloc", 5L << 30));
        Assert.Equal("cuMemAlloc", e.Api);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.StatusName);
        Assert.Equal(5L << 30, e.RequestedBytes);
        Assert.Contains("5,368,709,120", e.Message);
    }

    [Fact]
    public void OtherStatusesBecomeCudaExceptionNamingTheCall()
    {
        var e = Assert.Throws<CudaException>(() => CuStatus.ThrowIfFailed(CuStatus.InvalidValue, "CuApi.F.MemsetD32Async(p, v, n, s)"));
        Assert.Equal("cuMemsetD32Async", e.Api);
        Assert.Equal(1, e.Status);
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.StatusName);
        Assert.StartsWith("cuMemsetD32Async failed: CUDA_ERROR_INVALID_VALUE (1)", e.Message);
        Assert.Equal("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", CuStatus.Name(CuStatus.UnsupportedPtxVersion));
        CuStatus.ThrowIfFailed(CuStatus.Success);
    }

    [Fact]
    public void DriverVersionFormatsAsMajorMinor()
    {
        Assert.Equal("12.4", CudaBackend.FormatVersion(12040));
        Assert.Equal("13.0", CudaBackend.FormatVersion(13000));
        Assert.Equal("11.8", CudaBackend.FormatVersion(11080));
    }
}
