// OpenCL status codes → names, and the single place where a failing status becomes an exception.
using System.Runtime.CompilerServices;

namespace GpuSearch.Native.OpenCL;

internal static class ClStatus
{
    public const int Success = 0;
    public const int MemObjectAllocationFailure = -4;
    public const int OutOfResources = -5;
    public const int OutOfHostMemory = -6;
    public const int BuildProgramFailure = -11;
    public const int InvalidBufferSize = -61;

    public static string Name(int status) => status switch
    {
        0 => "CL_SUCCESS", -1 => "CL_DEVICE_NOT_FOUND", -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE", -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY", -7 => "CL_PROFILING_INFO_NOT_AVAILABLE", -8 => "CL_MEM_COPY_OVERLAP",
        -11 => "CL_BUILD_PROGRAM_FAILURE", -12 => "CL_MAP_FAILURE", -13 => "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14 => "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", -30 => "CL_INVALID_VALUE",
        -31 => "CL_INVALID_DEVICE_TYPE", -32 => "CL_INVALID_PLATFORM", -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT", -35 => "CL_INVALID_QUEUE_PROPERTIES", -36 => "CL_INVALID_COMMAND_QUEUE",
        -37 => "CL_INVALID_HOST_PTR", -38 => "CL_INVALID_MEM_OBJECT", -42 => "CL_INVALID_BINARY",
        -43 => "CL_INVALID_BUILD_OPTIONS", -44 => "CL_INVALID_PROGRAM", -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME", -47 => "CL_INVALID_KERNEL_DEFINITION", -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX", -50 => "CL_INVALID_ARG_VALUE", -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS", -53 => "CL_INVALID_WORK_DIMENSION", -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE", -56 => "CL_INVALID_GLOBAL_OFFSET", -57 => "CL_INVALID_EVENT_WAIT_LIST",
        -58 => "CL_INVALID_EVENT", -59 => "CL_INVALID_OPERATION", -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE", -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => $"CL_UNKNOWN_ERROR({status})",
    };

    /// <summary>Throws an <see cref="OpenClException"/> (or the typed out-of-memory one) for a failing status.</summary>
    public static void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == Success) return;
        throw Create(status, call);
    }

    public static Exception Create(int status, string call)
    {
        var api = ApiName(call);
        if (status is MemObjectAllocationFailure or OutOfResources or OutOfHostMemory or InvalidBufferSize)
            return new Compute.DeviceOutOfMemoryException($"{api} failed: {Name(status)}", api, Name(status));
        return new OpenClException(api, status, Name(status));
    }

    /// <summary>Turns "F.CreateBuffer(ctx, ...)" into "clCreateBuffer" for messages.</summary>
    internal static string ApiName(string call) => NativeCallName.From(call, "cl");
}

/// <summary>An OpenCL call returned an error status.</summary>
internal sealed class OpenClException : Compute.ComputeException
{
    /// <summary>The OpenCL entry point that failed, e.g. <c>clEnqueueNDRangeKernel</c>.</summary>
    public string Api { get; }
    /// <summary>The raw status code.</summary>
    public int Status { get; }
    /// <summary>The status name, e.g. <c>CL_INVALID_WORK_GROUP_SIZE</c>.</summary>
    public string StatusName { get; }

    internal OpenClException(string api, int status, string statusName)
        : base($"{api} failed: {statusName} ({status})")
    {
        Api = api; Status = status; StatusName = statusName;
    }
}
