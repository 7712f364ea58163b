// Thin OpenCL 1.2 binding through the ICD loader: only the entry points the engine calls,
// resolved once, lazily, as unmanaged function pointers.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.OpenCL;

internal static unsafe class ClApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("OpenCL ICD loader",
        OperatingSystem.IsWindows() ? ["OpenCL.dll"] :
        OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"] :
        ["libOpenCL.so.1", "libOpenCL.so", "/usr/lib/x86_64-linux-gnu/libOpenCL.so.1", "/usr/local/cuda/lib64/libOpenCL.so.1"]));

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why OpenCL cannot be used, or null when it can.</summary>
    public static string? UnavailableReason => Probe.Value.UnavailableReason;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(UnavailableReason);

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<uint, nint*, uint*, int> GetPlatformIDs;
        public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetPlatformInfo;
        public readonly delegate* unmanaged<nint, ulong, uint, nint*, uint*, int> GetDeviceIDs;
        public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetDeviceInfo;
        public readonly delegate* unmanaged<nint*, uint, nint*, nint, nint, int*, nint> CreateContext;
        public readonly delegate* unmanaged<nint, int> ReleaseContext;
        public readonly delegate* unmanaged<nint, nint, ulong, int*, nint> CreateCommandQueue;
        public readonly delegate* unmanaged<nint, int> ReleaseCommandQueue;
        public readonly delegate* unmanaged<nint, ulong, nuint, void*, int*, nint> CreateBuffer;
        public readonly delegate* unmanaged<nint, int> ReleaseMemObject;
        public readonly delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueWriteBuffer;
        public readonly delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueReadBuffer;
        public readonly delegate* unmanaged<nint, nint, void*, nuint, nuint, nuint, uint, nint*, nint*, int> EnqueueFillBuffer;
        public readonly delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int> EnqueueCopyBuffer;
        public readonly delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint> CreateProgramWithSource;
        public readonly delegate* unmanaged<nint, uint, nint*, nuint*, byte**, int*, int*, nint> CreateProgramWithBinary;
        public readonly delegate* unmanaged<nint, uint, nint*, byte*, nint, nint, int> BuildProgram;
        public readonly delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> GetProgramBuildInfo;
        public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetProgramInfo;
        public readonly delegate* unmanaged<nint, int> ReleaseProgram;
        public readonly delegate* unmanaged<nint, byte*, int*, nint> CreateKernel;
        public readonly delegate* unmanaged<nint, int> ReleaseKernel;
        public readonly delegate* unmanaged<nint, uint, nuint, void*, int> SetKernelArg;
        public readonly delegate* unmanaged<nint, nint, uint, nuint, nuint*, void*, int> GetKernelWorkGroupInfo;
        public readonly delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int> EnqueueNDRangeKernel;
        public readonly delegate* unmanaged<nint, uint, nint*, nint*, int> EnqueueMarkerWithWaitList;
        public readonly delegate* unmanaged<nint, uint, nint*, nint*, int> EnqueueBarrierWithWaitList;
        public readonly delegate* unmanaged<nint, int> Finish;
        public readonly delegate* unmanaged<nint, int> Flush;
        public readonly delegate* unmanaged<uint, nint*, int> WaitForEvents;
        public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetEventProfilingInfo;
        public readonly delegate* unmanaged<nint, int> ReleaseEvent;

        public Fns(NativeLibraryProbe p)
        {
            GetPlatformIDs = (delegate* unmanaged<uint, nint*, uint*, int>)p.Export("clGetPlatformIDs");
            GetPlatformInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)p.Export("clGetPlatformInfo");
            GetDeviceIDs = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)p.Export("clGetDeviceIDs");
            GetDeviceInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)p.Export("clGetDeviceInfo");
            CreateContext = (delegate* unmanaged<nint*, uint, nint*, nint, nint, int*, nint>)p.Export("clCreateContext");
            ReleaseContext = (delegate* unmanaged<nint, int>)p.Export("clReleaseContext");
            CreateCommandQueue = (delegate* unmanaged<nint, nint, ulong, int*, nint>)p.Export("clCreateCommandQueue");
            ReleaseCommandQueue = (delegate* unmanaged<nint, int>)p.Export("clReleaseCommandQueue");
            CreateBuffer = (delegate* unmanaged<nint, ulong, nuint, void*, int*, nint>)p.Export("clCreateBuffer");
            ReleaseMemObject = (delegate* unmanaged<nint, int>)p.Export("clReleaseMemObject");
            EnqueueWriteBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)p.Export("clEnqueueWriteBuffer");
            EnqueueReadBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)p.Export("clEnqueueReadBuffer");
            EnqueueFillBuffer = (delegate* unmanaged<nint, nint, void*, nuint, nuint, nuint, uint, nint*, nint*, int>)p.Export("clEnqueueFillBuffer");
            EnqueueCopyBuffer = (delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int>)p.Export("clEnqueueCopyBuffer");
            CreateProgramWithSource = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)p.Export("clCreateProgramWithSource");
            CreateProgramWithBinary = (delegate* unmanaged<nint, uint, nint*, nuint*, byte**, int*, int*, nint>)p.Export("clCreateProgramWithBinary");
            BuildProgram = (delegate* unmanaged<nint, uint, nint*, byte*, nint, nint, int>)p.Export("clBuildProgram");
            GetProgramBuildInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)p.Export("clGetProgramBuildInfo");
            GetProgramInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)p.Export("clGetProgramInfo");
            ReleaseProgram = (delegate* unmanaged<nint, int>)p.Export("clReleaseProgram");
            CreateKernel = (delegate* unmanaged<nint, byte*, int*, nint>)p.Export("clCreateKernel");
            ReleaseKernel = (delegate* unmanaged<nint, int>)p.Export("clReleaseKernel");
            SetKernelArg = (delegate* unmanaged<nint, uint, nuint, void*, int>)p.Export("clSetKernelArg");
            GetKernelWorkGroupInfo = (delegate* unmanaged<nint, nint, uint, nuint, nuint*, void*, int>)p.Export("clGetKernelWorkGroupInfo");
            EnqueueNDRangeKernel = (delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int>)p.Export("clEnqueueNDRangeKernel");
            EnqueueMarkerWithWaitList = (delegate* unmanaged<nint, uint, nint*, nint*, int>)p.Export("clEnqueueMarkerWithWaitList");
            EnqueueBarrierWithWaitList = (delegate* unmanaged<nint, uint, nint*, nint*, int>)p.Export("clEnqueueBarrierWithWaitList");
            Finish = (delegate* unmanaged<nint, int>)p.Export("clFinish");
            Flush = (delegate* unmanaged<nint, int>)p.Export("clFlush");
            WaitForEvents = (delegate* unmanaged<uint, nint*, int>)p.Export("clWaitForEvents");
            GetEventProfilingInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)p.Export("clGetEventProfilingInfo");
            ReleaseEvent = (delegate* unmanaged<nint, int>)p.Export("clReleaseEvent");
        }
    }

    // Constants from cl.h (OpenCL 1.2), only those used.
    public const ulong DeviceTypeAll = 0xFFFFFFFF;
    public const ulong DeviceTypeCpu = 1 << 1;
    public const ulong DeviceTypeGpu = 1 << 2;
    public const uint PlatformName = 0x0902, PlatformVendor = 0x0903, PlatformVersion = 0x0901;
    public const uint DeviceType = 0x1000, DeviceMaxComputeUnits = 0x1002, DeviceMaxWorkGroupSize = 0x1004,
        DeviceMaxMemAllocSize = 0x1010, DeviceGlobalMemCacheSize = 0x101E, DeviceGlobalMemSize = 0x101F, DeviceLocalMemSize = 0x1023,
        DeviceName = 0x102B, DeviceVendor = 0x102C, DriverVersion = 0x102D, DeviceVersion = 0x102F,
        DeviceExtensions = 0x1030, DeviceDoubleFpConfig = 0x1032, DeviceHalfFpConfig = 0x1033;
    public const ulong QueueProfilingEnable = 1 << 1;
    public const ulong MemReadWrite = 1 << 0;
    public const uint ProgramBuildLog = 0x1183;
    public const uint ProgramBinarySizes = 0x1165, ProgramBinaries = 0x1166;
    public const uint KernelWorkGroupSize = 0x11B0;
    public const uint ProfilingCommandStart = 0x1282, ProfilingCommandEnd = 0x1283;
    public const uint True = 1, False = 0;
}
