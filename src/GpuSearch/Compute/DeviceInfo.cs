// Static description of one compute device, as the registry and `gpusearch devices` report it.
namespace GpuSearch.Compute;

/// <summary>Which native API drives a device.</summary>
public enum ComputeBackend
{
    /// <summary>OpenCL through the ICD loader (PoCL on CPUs, vendor drivers on GPUs).</summary>
    OpenCL,
    /// <summary>CUDA driver API with NVRTC run-time compilation.</summary>
    Cuda,
}

/// <summary>What a device is and what it can do.</summary>
/// <param name="Id">Selection string that picks this device, e.g. <c>opencl:0</c> or <c>cuda:0</c>.</param>
/// <param name="Backend">The API that drives it.</param>
/// <param name="Name">Device name as the driver reports it.</param>
/// <param name="Vendor">Vendor or platform name.</param>
/// <param name="DriverVersion">Driver version string (part of the kernel cache key).</param>
/// <param name="GlobalMemoryBytes">Device memory in bytes.</param>
/// <param name="MaxAllocationBytes">Largest single allocation in bytes.</param>
/// <param name="LocalMemoryBytes">Local (shared) memory per work-group in bytes.</param>
/// <param name="ComputeUnits">Compute units (SMs, cores).</param>
/// <param name="MaxWorkGroupSize">Largest work-group (thread block).</param>
/// <param name="SupportsFp16">Native half-precision arithmetic.</param>
/// <param name="SupportsFp64">Double-precision arithmetic.</param>
/// <param name="IsCpu">True for CPU devices such as PoCL.</param>
/// <param name="CacheBytes">Size of the device's last-level cache as the driver reports it (a CPU's L3, a GPU's L2); 0 when unknown.</param>
public sealed record DeviceInfo(
    string Id,
    ComputeBackend Backend,
    string Name,
    string Vendor,
    string DriverVersion,
    long GlobalMemoryBytes,
    long MaxAllocationBytes,
    long LocalMemoryBytes,
    int ComputeUnits,
    int MaxWorkGroupSize,
    bool SupportsFp16,
    bool SupportsFp64,
    bool IsCpu,
    long CacheBytes = 0);
