// xunit facts that need a real CUDA device skip, with the backend's own reason, where none exists
// (CI has no GPU), so the CUDA suite reports "skipped: why" rather than passing vacuously.
using GpuSearch.Compute.Cuda;

namespace GpuSearch.Tests.Compute;

/// <summary>A fact that runs only where <see cref="CudaBackend"/> found a device.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when there is no CUDA device.</summary>
    public CudaFactAttribute()
    {
        if (CudaBackend.Instance.Devices.Count == 0)
            Skip = $"no CUDA device: {CudaBackend.Instance.UnavailableReason ?? "the backend reported none"}";
    }
}

/// <summary>Opens cuda:0 for one test.</summary>
internal static class CudaTestDevice
{
    public static CudaDevice Open() => (CudaDevice)CudaBackend.Instance.Open(CudaBackend.Instance.Devices[0]);
}
