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
        return new CudaKernel(name, device, fn, module);
    }

    protected override void DisposeCore() => module.Dispose();
}

internal sealed class CudaKernel(string name, CudaDevice device, nint function, CuModuleHandle module) : ComputeKernel(name)
{
    public CudaDevice Device { get; } = device;

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
