// CUresult codes → names and driver text, and the single place where a failing CUDA driver call
// becomes an exception. The driver's own cuGetErrorName/cuGetErrorString supply the text; a small
// table covers the codes the engine tests for, and any code when the driver cannot describe it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Cuda;

internal static unsafe class CuStatus
{
    public const int Success = 0;
    public const int InvalidValue = 1;
    public const int OutOfMemory = 2;
    public const int NotInitialized = 3;
    public const int StubLibrary = 34;
    public const int InsufficientDriver = 35;
    public const int NoDevice = 100;
    public const int InvalidPtx = 218;
    public const int UnsupportedPtxVersion = 222;
    public const int NotFound = 500;
    public const int LaunchOutOfResources = 701;

    private static string FallbackName(int status) => status switch
    {
        0 => "CUDA_SUCCESS", 1 => "CUDA_ERROR_INVALID_VALUE", 2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED", 4 => "CUDA_ERROR_DEINITIALIZED", 34 => "CUDA_ERROR_STUB_LIBRARY",
        35 => "CUDA_ERROR_INSUFFICIENT_DRIVER", 100 => "CUDA_ERROR_NO_DEVICE", 101 => "CUDA_ERROR_INVALID_DEVICE",
        200 => "CUDA_ERROR_INVALID_IMAGE", 201 => "CUDA_ERROR_INVALID_CONTEXT", 209 => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        218 => "CUDA_ERROR_INVALID_PTX", 221 => "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
        222 => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", 400 => "CUDA_ERROR_INVALID_HANDLE", 500 => "CUDA_ERROR_NOT_FOUND",
        600 => "CUDA_ERROR_NOT_READY", 700 => "CUDA_ERROR_ILLEGAL_ADDRESS", 701 => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        702 => "CUDA_ERROR_LAUNCH_TIMEOUT", 719 => "CUDA_ERROR_LAUNCH_FAILED", 803 => "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => $"CUDA_ERROR_{status}",
    };

    /// <summary>The driver's name for a status (e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>).</summary>
    public static string Name(int status)
    {
        if (CuApi.UnavailableReason is null)
        {
            try
            {
                byte* s = null;
                if (CuApi.F.GetErrorName(status, &s) == Success && s != null) return Marshal.PtrToStringUTF8((nint)s) ?? FallbackName(status);
            }
            catch (EntryPointNotFoundException) { }
        }
        return FallbackName(status);
    }

    /// <summary>The driver's description of a status, or an empty string.</summary>
    public static string Describe(int status)
    {
        if (CuApi.UnavailableReason is not null) return "";
        try
        {
            byte* s = null;
            return CuApi.F.GetErrorString(status, &s) == Success && s != null ? Marshal.PtrToStringUTF8((nint)s) ?? "" : "";
        }
        catch (EntryPointNotFoundException) { return ""; }
    }

    /// <summary>Throws a <see cref="CudaException"/> (or the typed out-of-memory one) for a failing status.</summary>
    public static void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == Success) return;
        throw Create(status, ApiName(call));
    }

    /// <summary>The exception for a failing status of <paramref name="api"/>.</summary>
    public static Exception Create(int status, string api, long requestedBytes = 0)
    {
        var name = Name(status);
        var text = Describe(status);
        if (status == OutOfMemory)
        {
            var what = requestedBytes > 0 ? $" allocating {requestedBytes:N0} bytes" : "";
            return new Compute.DeviceOutOfMemoryException($"{api} failed{what}: {name} ({status}){(text.Length > 0 ? ": " + text : "")}", api, name)
            {
                RequestedBytes = requestedBytes,
            };
        }
        return new CudaException(api, status, name, text);
    }

    /// <summary>Turns "CuApi.F.MemAlloc(&amp;p, n)" into "cuMemAlloc" for messages.</summary>
    internal static string ApiName(string call) => NativeCallName.From(call, "cu");
}

/// <summary>A CUDA driver API call returned an error status.</summary>
internal sealed class CudaException : Compute.ComputeException
{
    /// <summary>The driver entry point that failed, e.g. <c>cuLaunchKernel</c>.</summary>
    public string Api { get; }
    /// <summary>The raw CUresult.</summary>
    public int Status { get; }
    /// <summary>The status name, e.g. <c>CUDA_ERROR_INVALID_VALUE</c>.</summary>
    public string StatusName { get; }
    /// <summary>The driver's description of the status (cuGetErrorString), possibly empty.</summary>
    public string NativeMessage { get; }

    internal CudaException(string api, int status, string statusName, string nativeMessage, string? detail = null)
        : base($"{api} failed: {statusName} ({status}){(nativeMessage.Length > 0 ? ": " + nativeMessage : "")}{(detail is null ? "" : "\n" + detail)}")
    {
        Api = api; Status = status; StatusName = statusName; NativeMessage = nativeMessage;
    }
}
