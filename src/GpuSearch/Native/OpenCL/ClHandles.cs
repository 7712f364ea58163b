// SafeHandles for OpenCL objects. ReleaseHandle never throws: a failed release is ignored
// because there is nothing a finalizer could do about it.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.OpenCL;

internal abstract unsafe class ClHandle : SafeHandle
{
    protected ClHandle() : base(0, true) { }
    protected ClHandle(nint h) : base(0, true) => SetHandle(h);
    public override bool IsInvalid => handle == 0;
    protected abstract int Release(nint h);
    protected override bool ReleaseHandle()
    {
        try { return Release(handle) == 0; } catch { return false; }
    }
}

internal sealed unsafe class ClContextHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseContext(h); }

internal sealed unsafe class ClQueueHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseCommandQueue(h); }

internal sealed unsafe class ClMemHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseMemObject(h); }

internal sealed unsafe class ClProgramHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseProgram(h); }

internal sealed unsafe class ClKernelHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseKernel(h); }

internal sealed unsafe class ClEventHandle(nint h) : ClHandle(h)
{ protected override int Release(nint h) => ClApi.F.ReleaseEvent(h); }
