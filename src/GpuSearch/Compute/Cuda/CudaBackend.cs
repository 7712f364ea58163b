// Enumerates CUDA devices through the driver API. Device ids are cuda:N in driver ordinal order
// (CUDA_VISIBLE_DEVICES applies). Enumeration never throws: a missing driver library, a failing
// cuInit (no driver, no GPU) or a missing NVRTC each become UnavailableReason, naming what was tried.
using System.Text;
using GpuSearch.Native.Cuda;
using GpuSearch.Native.Nvrtc;

namespace GpuSearch.Compute.Cuda;

/// <summary>What the CUDA backend needs to know about one device beyond <see cref="DeviceInfo"/>.</summary>
internal sealed record CudaDeviceProps(int Ordinal, int CcMajor, int CcMinor, int MaxGridX, int MaxGridY, int MaxGridZ,
    int MaxBlockX, int MaxBlockY, int MaxBlockZ, int DriverVersion);

/// <summary>The CUDA backend provider (driver API + NVRTC).</summary>
internal sealed unsafe class CudaBackend : IBackendProvider
{
    /// <summary>The process-wide instance.</summary>
    public static CudaBackend Instance { get; } = new();

    private readonly Lazy<(IReadOnlyList<DeviceInfo> Devices, CudaDeviceProps[] Props, string? Reason)> _scan;

    private CudaBackend() => _scan = new(Scan);

    /// <inheritdoc />
    public ComputeBackend Backend => ComputeBackend.Cuda;
    /// <inheritdoc />
    public string? UnavailableReason => _scan.Value.Reason;
    /// <inheritdoc />
    public IReadOnlyList<DeviceInfo> Devices => _scan.Value.Devices;

    /// <inheritdoc />
    public ComputeDevice Open(DeviceInfo device)
    {
        var index = _scan.Value.Devices.ToList().IndexOf(device);
        if (index < 0) throw new DeviceNotFoundException($"{device.Id} is not a CUDA device of this machine");
        return new CudaDevice(device, _scan.Value.Props[index]);
    }

    private static (IReadOnlyList<DeviceInfo>, CudaDeviceProps[], string?) Scan()
    {
        if (CuApi.UnavailableReason is { } why)
            return ([], [], $"{why}; the NVIDIA driver is not installed or not on the loader path");
        try
        {
            var f = CuApi.F;
            var st = f.Init(0);
            if (st != CuStatus.Success)
            {
                var hint = st switch
                {
                    CuStatus.NoDevice => " (the driver is installed but sees no CUDA-capable GPU)",
                    CuStatus.InsufficientDriver => " (the kernel driver is older than this libcuda)",
                    CuStatus.StubLibrary => " (this libcuda is the toolkit's link stub, not a driver)",
                    _ => "",
                };
                var text = CuStatus.Describe(st);
                return ([], [], $"cuInit failed with {CuStatus.Name(st)} ({st}){(text.Length > 0 ? ": " + text : "")}{hint}; driver library {CuApi.LoadedFrom}");
            }
            int driver = 0;
            CuStatus.ThrowIfFailed(f.DriverGetVersion(&driver));
            int count = 0;
            CuStatus.ThrowIfFailed(f.DeviceGetCount(&count));
            if (count == 0) return ([], [], $"the CUDA driver {FormatVersion(driver)} ({CuApi.LoadedFrom}) reports no devices");

            // Without NVRTC no kernel can be built, so the devices would be unusable for any search.
            if (NvrtcApi.UnavailableReason is { } noNvrtc)
                return ([], [], $"the CUDA driver {FormatVersion(driver)} sees {count} device(s), but {noNvrtc}; " +
                                "install the CUDA toolkit's NVRTC or set GPUSEARCH_NVRTC to its path");
            var (nvMajor, nvMinor) = NvrtcCompiler.Version;

            var infos = new List<DeviceInfo>();
            var props = new List<CudaDeviceProps>();
            for (int i = 0; i < count; i++)
            {
                int dev = 0;
                CuStatus.ThrowIfFailed(f.DeviceGet(&dev, i));
                var name = new byte[256];
                fixed (byte* n = name) CuStatus.ThrowIfFailed(f.DeviceGetName(n, name.Length, dev));
                nuint total = 0;
                CuStatus.ThrowIfFailed(f.DeviceTotalMem(&total, dev));
                int ccMajor = Attr(dev, CuApi.AttrComputeCapabilityMajor), ccMinor = Attr(dev, CuApi.AttrComputeCapabilityMinor);
                var p = new CudaDeviceProps(dev, ccMajor, ccMinor,
                    Attr(dev, CuApi.AttrMaxGridDimX), Attr(dev, CuApi.AttrMaxGridDimY), Attr(dev, CuApi.AttrMaxGridDimZ),
                    Attr(dev, CuApi.AttrMaxBlockDimX), Attr(dev, CuApi.AttrMaxBlockDimY), Attr(dev, CuApi.AttrMaxBlockDimZ), driver);
                infos.Add(new DeviceInfo(
                    Id: $"cuda:{i}",
                    Backend: ComputeBackend.Cuda,
                    Name: Encoding.UTF8.GetString(name).TrimEnd('\0').Trim(),
                    Vendor: "NVIDIA",
                    // Part of the kernel cache key: driver, NVRTC and compute capability all change the PTX.
                    DriverVersion: $"CUDA driver {FormatVersion(driver)}, NVRTC {nvMajor}.{nvMinor}, sm_{ccMajor}{ccMinor}",
                    GlobalMemoryBytes: (long)total,
                    // CUDA has no per-allocation cap below the device's memory.
                    MaxAllocationBytes: (long)total,
                    LocalMemoryBytes: Attr(dev, CuApi.AttrMaxSharedMemoryPerBlock),
                    ComputeUnits: Attr(dev, CuApi.AttrMultiprocessorCount),
                    MaxWorkGroupSize: Attr(dev, CuApi.AttrMaxThreadsPerBlock),
                    SupportsFp16: ccMajor > 5 || (ccMajor == 5 && ccMinor >= 3),
                    SupportsFp64: true,
                    IsCpu: false,
                    CacheBytes: OptionalAttr(dev, CuApi.AttrL2CacheSize)));
                props.Add(p);
            }
            return (infos, props.ToArray(), null);
        }
        catch (Exception e) when (e is CudaException or ComputeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return ([], [], $"CUDA enumeration failed: {e.Message} (driver library {CuApi.LoadedFrom})");
        }
    }

    private static int Attr(int device, int attribute)
    {
        int v = 0;
        CuStatus.ThrowIfFailed(CuApi.F.DeviceGetAttribute(&v, attribute, device), "cuDeviceGetAttribute");
        return v;
    }

    // An attribute the engine can do without (informational, or with a default): 0 where the driver refuses it.
    private static int OptionalAttr(int device, int attribute)
    {
        int v = 0;
        return CuApi.F.DeviceGetAttribute(&v, attribute, device) == CuStatus.Success ? v : 0;
    }

    /// <summary>12040 → "12.4" (cuDriverGetVersion encodes 1000 × major + 10 × minor).</summary>
    internal static string FormatVersion(int v) => $"{v / 1000}.{v % 1000 / 10}";
}
