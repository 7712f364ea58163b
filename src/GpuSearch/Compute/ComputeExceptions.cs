// Exception types of the compute layer. Out-of-memory is typed and recoverable: the device
// and its other buffers stay usable after it is thrown.
namespace GpuSearch.Compute;

/// <summary>Base type for errors raised by a compute backend.</summary>
public class ComputeException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ComputeException(string message) : base(message) { }
    /// <summary>Creates the exception with a message and inner exception.</summary>
    public ComputeException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The device (or the host on its behalf) could not allocate the memory asked for.</summary>
public sealed class DeviceOutOfMemoryException : ComputeException
{
    /// <summary>The native API that reported the failure.</summary>
    public string Api { get; }
    /// <summary>The native status name.</summary>
    public string StatusName { get; }
    /// <summary>Bytes requested, when known (0 otherwise).</summary>
    public long RequestedBytes { get; init; }

    /// <summary>Creates the exception.</summary>
    public DeviceOutOfMemoryException(string message, string api, string statusName) : base(message)
    {
        Api = api; StatusName = statusName;
    }
}

/// <summary>A kernel failed to compile; carries the compiler log and the options used.</summary>
public sealed class KernelBuildException : ComputeException
{
    /// <summary>The kernel file that failed, e.g. <c>gemm.cl</c>.</summary>
    public string KernelFile { get; }
    /// <summary>Compiler options passed to the build.</summary>
    public string Options { get; }
    /// <summary>The full build log from the compiler.</summary>
    public string BuildLog { get; }

    /// <summary>Creates the exception.</summary>
    public KernelBuildException(string kernelFile, string options, string buildLog, string device)
        : base($"Building kernel {kernelFile} for {device} failed (options: {options}):\n{buildLog}")
    {
        KernelFile = kernelFile; Options = options; BuildLog = buildLog;
    }
}

/// <summary>A device selection string named no device that exists.</summary>
public sealed class DeviceNotFoundException : ComputeException
{
    /// <summary>Creates the exception.</summary>
    public DeviceNotFoundException(string message) : base(message) { }
}
