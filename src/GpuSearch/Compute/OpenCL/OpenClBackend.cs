// Enumerates OpenCL platforms and devices through the ICD loader. Device ids are opencl:N in
// platform order, so the same machine gives the same ids on every run.
using System.Text;
using GpuSearch.Native.OpenCL;
using static GpuSearch.Native.OpenCL.ClStatus;

namespace GpuSearch.Compute.OpenCL;

/// <summary>The OpenCL backend provider.</summary>
internal sealed unsafe class OpenClBackend : IBackendProvider
{
    /// <summary>Build options for every OpenCL program; part of the kernel cache key.</summary>
    public const string BuildOptions = "-cl-std=CL1.2 -cl-mad-enable";

    /// <summary>The process-wide instance.</summary>
    public static OpenClBackend Instance { get; } = new();

    private readonly Lazy<(IReadOnlyList<DeviceInfo> Devices, nint[] Ids, string? Reason)> _scan;

    private OpenClBackend() => _scan = new(Scan);

    /// <inheritdoc />
    public ComputeBackend Backend => ComputeBackend.OpenCL;
    /// <inheritdoc />
    public string? UnavailableReason => _scan.Value.Reason;
    /// <inheritdoc />
    public IReadOnlyList<DeviceInfo> Devices => _scan.Value.Devices;

    /// <inheritdoc />
    public ComputeDevice Open(DeviceInfo device)
    {
        var index = _scan.Value.Devices.ToList().IndexOf(device);
        if (index < 0) throw new DeviceNotFoundException($"{device.Id} is not an OpenCL device of this machine");
        return new OpenClDevice(device, _scan.Value.Ids[index]);
    }

    private static (IReadOnlyList<DeviceInfo>, nint[], string?) Scan()
    {
        if (ClApi.UnavailableReason is { } why) return ([], [], why);
        try
        {
            var f = ClApi.F;
            uint nPlatforms = 0;
            int st = f.GetPlatformIDs(0, null, &nPlatforms);
            if (st == -1001 || nPlatforms == 0) // CL_PLATFORM_NOT_FOUND_KHR: loader without any ICD
                return ([], [], "the OpenCL loader found no platform (install pocl-opencl-icd or a GPU driver's ICD)");
            ThrowIfFailed(st, "clGetPlatformIDs");
            var platforms = new nint[nPlatforms];
            fixed (nint* p = platforms) ThrowIfFailed(f.GetPlatformIDs(nPlatforms, p, null));
            var infos = new List<DeviceInfo>();
            var ids = new List<nint>();
            foreach (var platform in platforms)
            {
                var platformName = PlatformString(platform, ClApi.PlatformName);
                uint nDev = 0;
                if (f.GetDeviceIDs(platform, ClApi.DeviceTypeAll, 0, null, &nDev) != 0 || nDev == 0) continue;
                var devs = new nint[nDev];
                fixed (nint* d = devs) ThrowIfFailed(f.GetDeviceIDs(platform, ClApi.DeviceTypeAll, nDev, d, null));
                foreach (var d in devs)
                {
                    var ext = DeviceString(d, ClApi.DeviceExtensions);
                    var type = DeviceScalar<ulong>(d, ClApi.DeviceType);
                    infos.Add(new DeviceInfo(
                        Id: $"opencl:{infos.Count}",
                        Backend: ComputeBackend.OpenCL,
                        Name: DeviceString(d, ClApi.DeviceName).Trim(),
                        Vendor: platformName,
                        DriverVersion: DeviceString(d, ClApi.DriverVersion) + " / " + DeviceString(d, ClApi.DeviceVersion),
                        GlobalMemoryBytes: (long)DeviceScalar<ulong>(d, ClApi.DeviceGlobalMemSize),
                        MaxAllocationBytes: (long)DeviceScalar<ulong>(d, ClApi.DeviceMaxMemAllocSize),
                        LocalMemoryBytes: (long)DeviceScalar<ulong>(d, ClApi.DeviceLocalMemSize),
                        ComputeUnits: (int)DeviceScalar<uint>(d, ClApi.DeviceMaxComputeUnits),
                        MaxWorkGroupSize: (int)Math.Min(int.MaxValue, DeviceScalar<nuint>(d, ClApi.DeviceMaxWorkGroupSize)),
                        SupportsFp16: ext.Contains("cl_khr_fp16", StringComparison.Ordinal),
                        SupportsFp64: ext.Contains("cl_khr_fp64", StringComparison.Ordinal),
                        IsCpu: (type & ClApi.DeviceTypeCpu) != 0,
                        CacheBytes: (long)DeviceScalar<ulong>(d, ClApi.DeviceGlobalMemCacheSize)));
                    ids.Add(d);
                }
            }
            return infos.Count == 0 ? ([], [], "OpenCL platforms exist but expose no devices") : (infos, ids.ToArray(), null);
        }
        catch (Exception e) when (e is OpenClException or EntryPointNotFoundException)
        {
            return ([], [], e.Message);
        }
    }

    private static string PlatformString(nint platform, uint param)
    {
        nuint size = 0;
        ThrowIfFailed(ClApi.F.GetPlatformInfo(platform, param, 0, null, &size));
        var buf = new byte[(int)size];
        fixed (byte* b = buf) ThrowIfFailed(ClApi.F.GetPlatformInfo(platform, param, size, b, null));
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    internal static string DeviceString(nint device, uint param)
    {
        nuint size = 0;
        ThrowIfFailed(ClApi.F.GetDeviceInfo(device, param, 0, null, &size));
        var buf = new byte[(int)size];
        fixed (byte* b = buf) ThrowIfFailed(ClApi.F.GetDeviceInfo(device, param, size, b, null));
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    private static T DeviceScalar<T>(nint device, uint param) where T : unmanaged
    {
        T value = default;
        ThrowIfFailed(ClApi.F.GetDeviceInfo(device, param, (nuint)sizeof(T), &value, null));
        return value;
    }
}
