// A loaded CUDA module (one kernel file's PTX) and its kernel entry points. Function handles are
// owned by the module, so kernels need no release of their own.
using System.Text;
using GpuSearch.Native.Cuda;

namespace GpuSearch.Compute.Cuda;

internal sealed unsafe class CudaProgram(string file, CudaDevice device, CuModuleHandle module) : ComputeProgram(file)
{
    protected override ComputeKernel CreateKernel(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        using var scope = device.Enter();
        nint fn = 0;
        int st;
        fixed (byte* b = bytes) st = CuApi.F.ModuleGetFunction(&fn, module.DangerousGetHandle(), b);
        if (st == CuStatus.NotFound)
            throw new ArgumentException($"Kernel '{name}' does not exist in {KernelFile} (CUDA_ERROR_NOT_FOUND; kernels need __kernel, which is extern \"C\")", nameof(name));
        CuStatus.ThrowIfFailed(st, "cuModuleGetFunction");
        return new CudaKernel(name, device, fn, module, ParamSizes(fn));
    }

    /// <summary>
    /// Byte size of each kernel parameter, where the driver can tell (cuFuncGetParamInfo, CUDA 12.4+),
    /// so a launch with the wrong number or width of arguments fails like clSetKernelArg does instead
    /// of reading garbage on the device. Null on older drivers. Call with the context current.
    /// </summary>
    private static int[]? ParamSizes(nint fn)
    {
        var query = CuApi.F.FuncGetParamInfo;
        if (query == null) return null;
        var sizes = new List<int>();
        for (nuint i = 0; i < 256; i++)
        {
            nuint offset = 0, size = 0;
            var st = query(fn, i, &offset, &size);
            if (st == CuStatus.InvalidValue) break; // past the last parameter
            if (st != CuStatus.Success) return null; // the driver cannot tell: check nothing rather than guess
            sizes.Add((int)size);
        }
        return sizes.ToArray();
    }

    protected override void DisposeCore() => module.Dispose();
}

internal sealed class CudaKernel(string name, CudaDevice device, nint function, CuModuleHandle module, int[]? paramSizes)
    : ComputeKernel(name)
{
    public CudaDevice Device { get; } = device;

    /// <summary>Parameter sizes in bytes, or null when the driver cannot report them.</summary>
    public int[]? ParamSizes { get; } = paramSizes;

    /// <summary>The CUfunction; valid while the module is loaded.</summary>
    public nint Function
    {
        get
        {
            ObjectDisposedException.ThrowIf(module.IsClosed, this);
            return function;
        }
    }
}
