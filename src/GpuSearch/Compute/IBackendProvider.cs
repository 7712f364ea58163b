// What the registry needs from a backend: its devices, or why it has none.
namespace GpuSearch.Compute;

/// <summary>Enumerates and opens the devices of one backend.</summary>
internal interface IBackendProvider
{
    /// <summary>Which backend this is.</summary>
    ComputeBackend Backend { get; }
    /// <summary>Why the backend cannot be used (library missing, no driver, no devices), or null.</summary>
    string? UnavailableReason { get; }
    /// <summary>The devices found (empty when unavailable).</summary>
    IReadOnlyList<DeviceInfo> Devices { get; }
    /// <summary>Opens one of <see cref="Devices"/>.</summary>
    ComputeDevice Open(DeviceInfo device);
}
