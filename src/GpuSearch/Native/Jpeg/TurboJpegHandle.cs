// SafeHandle for a TurboJPEG decompressor instance. A tjhandle is not thread-safe, so each decode
// owns one; ReleaseHandle never throws because a finalizer could do nothing about a failed destroy.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Jpeg;

internal sealed unsafe class TurboJpegHandle : SafeHandle
{
    private TurboJpegHandle(nint h) : base(0, true) => SetHandle(h);

    public override bool IsInvalid => handle == 0;

    /// <summary>Creates a decompressor; throws <see cref="OutOfMemoryException"/> if TurboJPEG returns NULL.</summary>
    public static TurboJpegHandle CreateDecompressor()
    {
        var h = TurboJpegApi.F.InitDecompress();
        if (h == 0) throw new OutOfMemoryException("tjInitDecompress returned NULL");
        return new TurboJpegHandle(h);
    }

    protected override bool ReleaseHandle()
    {
        try { return TurboJpegApi.F.Destroy(handle) == 0; } catch { return false; }
    }
}
