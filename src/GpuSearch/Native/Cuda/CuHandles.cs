// SafeHandles for CUDA driver objects. Every object lives in the device's primary context, so each
// handle holds a reference on the context handle (the context outlives everything made in it) and
// makes it current around its own release. ReleaseHandle never throws: a failed release (driver
// shutting down at process exit) is ignored because a finalizer could do nothing about it.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Cuda;

/// <summary>A retained primary context of one device; released with cuDevicePrimaryCtxRelease.</summary>
internal sealed unsafe class CuContextHandle : SafeHandle
{
    public int Device { get; }

    public CuContextHandle(nint ctx, int device) : base(0, true)
    {
        Device = device;
        SetHandle(ctx);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Makes the context current on the calling thread until the scope is disposed.</summary>
    public CuContextScope Enter() => new(this);

    protected override bool ReleaseHandle()
    {
        try { return CuApi.F.DevicePrimaryCtxRelease(Device) == CuStatus.Success; } catch { return false; }
    }
}

/// <summary>
/// Pushes a context on the calling thread's context stack and pops it on dispose, so every
/// operation runs in its device's context whichever thread calls it, and the caller's own
/// current context (if any) is restored afterwards.
/// </summary>
internal readonly unsafe ref struct CuContextScope
{
    private readonly bool _pushed;

    public CuContextScope(CuContextHandle context)
    {
        ObjectDisposedException.ThrowIf(context.IsClosed, context);
        CuStatus.ThrowIfFailed(CuApi.F.CtxPushCurrent(context.DangerousGetHandle()), "cuCtxPushCurrent");
        _pushed = true;
    }

    public void Dispose()
    {
        if (!_pushed) return;
        nint popped;
        CuApi.F.CtxPopCurrent(&popped); // cannot fail after a successful push on this thread
    }
}

/// <summary>Base for objects created inside a context: keeps the context alive and current for release.</summary>
internal abstract unsafe class CuChildHandle : SafeHandle
{
    private readonly CuContextHandle _context;
    private readonly bool _contextReferenced;

    protected CuChildHandle(CuContextHandle context, nint h) : base(0, true)
    {
        _context = context;
        bool added = false;
        context.DangerousAddRef(ref added);
        _contextReferenced = added;
        SetHandle(h);
    }

    public override bool IsInvalid => handle == 0;

    protected abstract int Destroy(nint h);

    protected override bool ReleaseHandle()
    {
        try
        {
            int status;
            var pushed = CuApi.F.CtxPushCurrent(_context.DangerousGetHandle()) == CuStatus.Success;
            try { status = Destroy(handle); }
            finally
            {
                if (pushed) { nint popped; CuApi.F.CtxPopCurrent(&popped); }
            }
            return status == CuStatus.Success;
        }
        catch { return false; }
        finally
        {
            if (_contextReferenced) _context.DangerousRelease();
        }
    }
}

/// <summary>Device memory from cuMemAlloc.</summary>
internal sealed unsafe class CuMemoryHandle(CuContextHandle context, ulong ptr) : CuChildHandle(context, (nint)ptr)
{
    public ulong Pointer => (ulong)DangerousGetHandle();
    protected override int Destroy(nint h) => CuApi.F.MemFree((ulong)h);
}

/// <summary>Page-locked host memory from cuMemHostAlloc.</summary>
internal sealed unsafe class CuHostMemoryHandle(CuContextHandle context, nint ptr) : CuChildHandle(context, ptr)
{
    protected override int Destroy(nint h) => CuApi.F.MemFreeHost((void*)h);
}

/// <summary>A stream from cuStreamCreate.</summary>
internal sealed unsafe class CuStreamHandle(CuContextHandle context, nint stream) : CuChildHandle(context, stream)
{
    protected override int Destroy(nint h) => CuApi.F.StreamDestroy(h);
}

/// <summary>An event from cuEventCreate.</summary>
internal sealed unsafe class CuEventHandle(CuContextHandle context, nint ev) : CuChildHandle(context, ev)
{
    protected override int Destroy(nint h) => CuApi.F.EventDestroy(h);
}

/// <summary>A module from cuModuleLoadDataEx.</summary>
internal sealed unsafe class CuModuleHandle(CuContextHandle context, nint module) : CuChildHandle(context, module)
{
    protected override int Destroy(nint h) => CuApi.F.ModuleUnload(h);
}
