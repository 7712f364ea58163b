// Devices under test: every device the registry finds. Opened once per test run and shared,
// because opening a context and compiling kernels dominates the cost of small op tests.
using System.Collections.Concurrent;
using GpuSearch.Compute;

namespace GpuSearch.Tests.Support;

internal static class Devices
{
    private static readonly ConcurrentDictionary<string, ComputeDevice> Opened = new();

    static Devices() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var d in Opened.Values) d.Dispose();
    };

    /// <summary>Ids of every device found (OpenCL and CUDA).</summary>
    public static IReadOnlyList<string> AllIds => DeviceRegistry.Default.Devices.Select(d => d.Id).ToArray();

    /// <summary>Ids of OpenCL devices only.</summary>
    public static IReadOnlyList<string> OpenClIds =>
        DeviceRegistry.Default.Devices.Where(d => d.Backend == ComputeBackend.OpenCL).Select(d => d.Id).ToArray();

    /// <summary>Ids of CUDA devices only.</summary>
    public static IReadOnlyList<string> CudaIds =>
        DeviceRegistry.Default.Devices.Where(d => d.Backend == ComputeBackend.Cuda).Select(d => d.Id).ToArray();

    /// <summary>A shared open device; do not dispose it.</summary>
    public static ComputeDevice Get(string id) => Opened.GetOrAdd(id, i => DeviceRegistry.Default.Open(i));

    /// <summary>The PoCL/CPU OpenCL device, which CI must have.</summary>
    public static ComputeDevice Cpu => Get(DeviceRegistry.Default.Resolve("cpu")[0].Id);

    /// <summary>Why no CUDA device is available, for skip messages.</summary>
    public static string CudaSkipReason
    {
        get
        {
            var cuda = DeviceRegistry.Default.Backends.FirstOrDefault(b => b.Backend == ComputeBackend.Cuda);
            return cuda is null ? "the CUDA backend is not registered"
                : $"no CUDA device: {cuda.UnavailableReason ?? "none found"}";
        }
    }
}

/// <summary>A theory that runs only where a CUDA device exists; elsewhere it is skipped with the reason.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when there is no CUDA device.</summary>
    public CudaTheoryAttribute()
    {
        if (Devices.CudaIds.Count == 0) Skip = Devices.CudaSkipReason;
    }
}
