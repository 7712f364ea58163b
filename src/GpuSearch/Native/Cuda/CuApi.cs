// Thin CUDA driver API binding (libcuda): only the entry points the engine calls, resolved once,
// lazily, as unmanaged function pointers. Versioned exports (_v2) are the ones cuda.h maps the
// plain names to since CUDA 4.0/11.0, so the table binds those explicitly.
namespace GpuSearch.Native.Cuda;

internal static unsafe class CuApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("CUDA driver library",
        CandidatesOverride ??
        (OperatingSystem.IsWindows() ? ["nvcuda.dll"] :
        ["libcuda.so.1", "libcuda.so",
         // Where distributions and WSL put the driver when it is not on the loader path.
         "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"])));

    /// <summary>
    /// Test seam: when set before the first CUDA call in this load context, the only libraries
    /// probed (the binding tests load a fake driver this way in an isolated AssemblyLoadContext).
    /// </summary>
    internal static string[]? CandidatesOverride { get; set; }

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why the driver library cannot be used, or null when it loaded.</summary>
    public static string? UnavailableReason => Probe.Value.UnavailableReason;

    /// <summary>The file the driver was loaded from (for messages).</summary>
    public static string? LoadedFrom => Probe.Value.LoadedFrom;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(UnavailableReason);

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<uint, int> Init;
        public readonly delegate* unmanaged<int*, int> DriverGetVersion;
        public readonly delegate* unmanaged<int*, int> DeviceGetCount;
        public readonly delegate* unmanaged<int*, int, int> DeviceGet;
        public readonly delegate* unmanaged<byte*, int, int, int> DeviceGetName;
        public readonly delegate* unmanaged<nuint*, int, int> DeviceTotalMem;
        public readonly delegate* unmanaged<int*, int, int, int> DeviceGetAttribute;
        public readonly delegate* unmanaged<nint*, int, int> DevicePrimaryCtxRetain;
        public readonly delegate* unmanaged<int, int> DevicePrimaryCtxRelease;
        public readonly delegate* unmanaged<nint, int> CtxPushCurrent;
        public readonly delegate* unmanaged<nint*, int> CtxPopCurrent;
        public readonly delegate* unmanaged<ulong*, nuint, int> MemAlloc;
        public readonly delegate* unmanaged<ulong, int> MemFree;
        public readonly delegate* unmanaged<nuint*, nuint*, int> MemGetInfo;
        public readonly delegate* unmanaged<void**, nuint, uint, int> MemHostAlloc;
        public readonly delegate* unmanaged<void*, int> MemFreeHost;
        public readonly delegate* unmanaged<ulong, void*, nuint, nint, int> MemcpyHtoDAsync;
        public readonly delegate* unmanaged<void*, ulong, nuint, nint, int> MemcpyDtoHAsync;
        public readonly delegate* unmanaged<ulong, ulong, nuint, nint, int> MemcpyDtoDAsync;
        public readonly delegate* unmanaged<ulong, uint, nuint, nint, int> MemsetD32Async;
        public readonly delegate* unmanaged<nint*, uint, int> StreamCreate;
        public readonly delegate* unmanaged<nint, int> StreamSynchronize;
        public readonly delegate* unmanaged<nint, int> StreamDestroy;
        public readonly delegate* unmanaged<nint, nint, uint, int> StreamWaitEvent;
        public readonly delegate* unmanaged<nint*, uint, int> EventCreate;
        public readonly delegate* unmanaged<nint, nint, int> EventRecord;
        public readonly delegate* unmanaged<nint, int> EventSynchronize;
        public readonly delegate* unmanaged<float*, nint, nint, int> EventElapsedTime;
        public readonly delegate* unmanaged<nint, int> EventDestroy;
        public readonly delegate* unmanaged<nint*, void*, uint, int*, void**, int> ModuleLoadDataEx;
        public readonly delegate* unmanaged<nint*, nint, byte*, int> ModuleGetFunction;
        public readonly delegate* unmanaged<nint, int> ModuleUnload;
        public readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> LaunchKernel;
        /// <summary>Optional (CUDA 12.4+ drivers); null when absent.</summary>
        public readonly delegate* unmanaged<nint, nuint, nuint*, nuint*, int> FuncGetParamInfo;
        public readonly delegate* unmanaged<int, byte**, int> GetErrorName;
        public readonly delegate* unmanaged<int, byte**, int> GetErrorString;

        public Fns(NativeLibraryProbe p)
        {
            Init = (delegate* unmanaged<uint, int>)p.Export("cuInit");
            DriverGetVersion = (delegate* unmanaged<int*, int>)p.Export("cuDriverGetVersion");
            DeviceGetCount = (delegate* unmanaged<int*, int>)p.Export("cuDeviceGetCount");
            DeviceGet = (delegate* unmanaged<int*, int, int>)p.Export("cuDeviceGet");
            DeviceGetName = (delegate* unmanaged<byte*, int, int, int>)p.Export("cuDeviceGetName");
            DeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)p.Export("cuDeviceTotalMem_v2");
            DeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)p.Export("cuDeviceGetAttribute");
            DevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)p.Export("cuDevicePrimaryCtxRetain");
            // _v2 since CUDA 11.0; drivers older than that only export the plain name.
            DevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)Either(p, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
            CtxPushCurrent = (delegate* unmanaged<nint, int>)p.Export("cuCtxPushCurrent_v2");
            CtxPopCurrent = (delegate* unmanaged<nint*, int>)p.Export("cuCtxPopCurrent_v2");
            MemAlloc = (delegate* unmanaged<ulong*, nuint, int>)p.Export("cuMemAlloc_v2");
            MemFree = (delegate* unmanaged<ulong, int>)p.Export("cuMemFree_v2");
            MemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)p.Export("cuMemGetInfo_v2");
            MemHostAlloc = (delegate* unmanaged<void**, nuint, uint, int>)p.Export("cuMemHostAlloc");
            MemFreeHost = (delegate* unmanaged<void*, int>)p.Export("cuMemFreeHost");
            MemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)p.Export("cuMemcpyHtoDAsync_v2");
            MemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)p.Export("cuMemcpyDtoHAsync_v2");
            MemcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)p.Export("cuMemcpyDtoDAsync_v2");
            MemsetD32Async = (delegate* unmanaged<ulong, uint, nuint, nint, int>)p.Export("cuMemsetD32Async");
            StreamCreate = (delegate* unmanaged<nint*, uint, int>)p.Export("cuStreamCreate");
            StreamSynchronize = (delegate* unmanaged<nint, int>)p.Export("cuStreamSynchronize");
            StreamDestroy = (delegate* unmanaged<nint, int>)p.Export("cuStreamDestroy_v2");
            StreamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)p.Export("cuStreamWaitEvent");
            EventCreate = (delegate* unmanaged<nint*, uint, int>)p.Export("cuEventCreate");
            EventRecord = (delegate* unmanaged<nint, nint, int>)p.Export("cuEventRecord");
            EventSynchronize = (delegate* unmanaged<nint, int>)p.Export("cuEventSynchronize");
            // Every driver still exports the original; _v2 (CUDA 12.8+) is the fallback only.
            EventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)Either(p, "cuEventElapsedTime", "cuEventElapsedTime_v2");
            EventDestroy = (delegate* unmanaged<nint, int>)p.Export("cuEventDestroy_v2");
            ModuleLoadDataEx = (delegate* unmanaged<nint*, void*, uint, int*, void**, int>)p.Export("cuModuleLoadDataEx");
            ModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)p.Export("cuModuleGetFunction");
            ModuleUnload = (delegate* unmanaged<nint, int>)p.Export("cuModuleUnload");
            LaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)p.Export("cuLaunchKernel");
            FuncGetParamInfo = (delegate* unmanaged<nint, nuint, nuint*, nuint*, int>)p.TryExport("cuFuncGetParamInfo");
            GetErrorName = (delegate* unmanaged<int, byte**, int>)p.Export("cuGetErrorName");
            GetErrorString = (delegate* unmanaged<int, byte**, int>)p.Export("cuGetErrorString");
        }

        private static nint Either(NativeLibraryProbe p, string preferred, string fallback) =>
            p.TryExport(preferred) is var a and not 0 ? a : p.Export(fallback);
    }

    // CUdevice_attribute values from cuda.h (stable since they were introduced).
    public const int AttrMaxThreadsPerBlock = 1;
    public const int AttrMaxBlockDimX = 2, AttrMaxBlockDimY = 3, AttrMaxBlockDimZ = 4;
    public const int AttrMaxGridDimX = 5, AttrMaxGridDimY = 6, AttrMaxGridDimZ = 7;
    public const int AttrMaxSharedMemoryPerBlock = 8;
    public const int AttrWarpSize = 10;
    public const int AttrMultiprocessorCount = 16;
    public const int AttrL2CacheSize = 38;
    public const int AttrComputeCapabilityMajor = 75, AttrComputeCapabilityMinor = 76;

    // CUjit_option values used to capture the PTX JIT's error log in cuModuleLoadDataEx.
    public const int JitInfoLogBuffer = 3, JitInfoLogBufferSizeBytes = 4;
    public const int JitErrorLogBuffer = 5, JitErrorLogBufferSizeBytes = 6;

    /// <summary>CU_STREAM_DEFAULT: a blocking stream, ordered against the legacy default stream.</summary>
    public const uint StreamDefault = 0;
    /// <summary>CU_EVENT_DEFAULT: timing enabled, spin-wait synchronisation.</summary>
    public const uint EventDefault = 0;
}
