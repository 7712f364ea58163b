// Compiles one expanded kernel source to PTX with NVRTC and returns the PTX or the compiler log.
// Picks the virtual architecture (compute_XY) from the device's compute capability, clamped to the
// newest one this NVRTC knows, so a newer GPU still gets PTX the driver can JIT for it.
using System.Text;

namespace GpuSearch.Native.Nvrtc;

/// <summary>Outcome of one NVRTC compilation.</summary>
/// <param name="Ptx">NUL-terminated PTX (what cuModuleLoadDataEx expects), or null on failure.</param>
/// <param name="Log">The compiler log (warnings on success, errors on failure).</param>
internal sealed record NvrtcResult(byte[]? Ptx, string Log);

internal static unsafe class NvrtcCompiler
{
    private static readonly Lazy<(int Major, int Minor)> LazyVersion = new(() =>
    {
        int major = 0, minor = 0;
        NvrtcApi.ThrowIfFailed(NvrtcApi.F.Version(&major, &minor), "nvrtcVersion");
        return (major, minor);
    });

    private static readonly Lazy<int[]> LazyArchs = new(() =>
    {
        var f = NvrtcApi.F;
        if (f.GetNumSupportedArchs == null || f.GetSupportedArchs == null) return [];
        int n = 0;
        if (f.GetNumSupportedArchs(&n) != NvrtcApi.Success || n <= 0) return [];
        var archs = new int[n];
        fixed (int* a = archs)
            if (f.GetSupportedArchs(a) != NvrtcApi.Success) return [];
        return archs;
    });

    /// <summary>NVRTC's version (major, minor).</summary>
    public static (int Major, int Minor) Version => LazyVersion.Value;

    /// <summary>
    /// The virtual architecture to compile for a device of compute capability major.minor: the
    /// capability itself, or the newest one NVRTC supports below it (PTX is forward compatible).
    /// </summary>
    public static int ArchFor(int ccMajor, int ccMinor)
    {
        var cc = ccMajor * 10 + ccMinor;
        var supported = LazyArchs.Value;
        if (supported.Length == 0 || supported.Contains(cc)) return cc;
        var below = supported.Where(a => a <= cc).ToArray();
        return below.Length > 0 ? below.Max() : cc; // older than anything NVRTC knows: let it say so
    }

    /// <summary>Compiles <paramref name="source"/>; <paramref name="name"/> is what the log calls the file.</summary>
    public static NvrtcResult Compile(string source, string name, IReadOnlyList<string> options)
    {
        var f = NvrtcApi.F;
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var nm = Encoding.UTF8.GetBytes(name + "\0");
        nint prog = 0;
        fixed (byte* s = src)
        fixed (byte* n = nm)
            NvrtcApi.ThrowIfFailed(f.CreateProgram(&prog, s, n, 0, null, null), "nvrtcCreateProgram");
        try
        {
            // Options as NUL-terminated UTF-8 strings pinned for the call.
            var encoded = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
            var handles = encoded.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            int status;
            try
            {
                var ptrs = stackalloc byte*[Math.Max(1, encoded.Length)];
                for (int i = 0; i < encoded.Length; i++) ptrs[i] = (byte*)handles[i].AddrOfPinnedObject();
                status = f.CompileProgram(prog, encoded.Length, ptrs);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            var log = ReadLog(prog);
            if (status == NvrtcApi.ErrorCompilation) return new NvrtcResult(null, log);
            if (status != NvrtcApi.Success) // e.g. an option this NVRTC does not know: its log says which
                throw new Compute.ComputeException(
                    $"nvrtcCompileProgram of {name} failed: {NvrtcApi.ErrorString(status)} ({status}) with options " +
                    $"'{string.Join(" ", options)}' [NVRTC {Version.Major}.{Version.Minor} from {NvrtcApi.LoadedFrom}]" +
                    (log.Length > 0 ? "\n" + log : ""));

            nuint size = 0;
            NvrtcApi.ThrowIfFailed(f.GetPTXSize(prog, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size + 1]; // size counts the terminator; one spare byte keeps it NUL-terminated regardless
            fixed (byte* p = ptx) NvrtcApi.ThrowIfFailed(f.GetPTX(prog, p), "nvrtcGetPTX");
            return new NvrtcResult(ptx, log);
        }
        finally
        {
            f.DestroyProgram(&prog); // nothing useful to do if destroying fails
        }
    }

    private static string ReadLog(nint prog)
    {
        nuint size = 0;
        if (NvrtcApi.F.GetProgramLogSize(prog, &size) != NvrtcApi.Success || size <= 1) return "";
        var buf = new byte[(int)size];
        fixed (byte* b = buf)
            if (NvrtcApi.F.GetProgramLog(prog, b) != NvrtcApi.Success) return "";
        return Encoding.UTF8.GetString(buf).TrimEnd('\0', '\n', '\r', ' ');
    }
}
