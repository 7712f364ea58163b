// Thin NVRTC binding (run-time CUDA C++ → PTX compiler): only the entry points the engine calls,
// resolved once, lazily. NVRTC ships versioned sonames (libnvrtc.so.12, .13, .11.2) and usually
// lives under the CUDA toolkit rather than on the loader path, so the probe also walks the usual
// toolkit folders. GPUSEARCH_NVRTC names an exact file to use first.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Nvrtc;

internal static unsafe class NvrtcApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("NVRTC", CandidatesOverride ?? Candidates()));

    /// <summary>Test seam: when set before the first NVRTC call in this load context, the only libraries probed.</summary>
    internal static string[]? CandidatesOverride { get; set; }

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why NVRTC cannot be used, or null when it loaded.</summary>
    public static string? UnavailableReason => Probe.Value.UnavailableReason;

    /// <summary>The file NVRTC was loaded from.</summary>
    public static string? LoadedFrom => Probe.Value.LoadedFrom;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(UnavailableReason);

    /// <summary>Library names newest first: a newer NVRTC knows every older architecture.</summary>
    private static readonly string[] LinuxNames =
        ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0"];

    private static readonly string[] WindowsNames =
        ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll", "nvrtc64_111_0.dll", "nvrtc64_110_0.dll"];

    internal static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("GPUSEARCH_NVRTC") is { Length: > 0 } exact) yield return exact;
        var names = OperatingSystem.IsWindows() ? WindowsNames : LinuxNames;
        foreach (var n in names) yield return n; // the loader path (LD_LIBRARY_PATH, ldconfig cache)
        foreach (var dir in ToolkitDirectories())
            foreach (var n in names)
                yield return Path.Combine(dir, n);
    }

    /// <summary>Folders where CUDA toolkits put NVRTC.</summary>
    internal static IEnumerable<string> ToolkitDirectories()
    {
        var sub = OperatingSystem.IsWindows() ? "bin" : "lib64";
        foreach (var env in new[] { "CUDA_PATH", "CUDA_HOME", "CUDA_ROOT" })
            if (Environment.GetEnvironmentVariable(env) is { Length: > 0 } root)
                yield return Path.Combine(root, sub);
        if (OperatingSystem.IsWindows()) yield break;
        yield return "/usr/local/cuda/lib64";
        // Versioned installs side by side (cuda-12.4, cuda-13.0): newest first.
        string[] versioned;
        try
        {
            versioned = Directory.Exists("/usr/local")
                ? Directory.GetDirectories("/usr/local", "cuda-*").OrderByDescending(VersionKey).ToArray()
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { versioned = []; }
        foreach (var d in versioned) yield return Path.Combine(d, "lib64");
        yield return "/usr/lib/x86_64-linux-gnu";
        yield return "/usr/lib64";
        yield return "/opt/cuda/lib64";
    }

    private static Version VersionKey(string dir) =>
        Version.TryParse(Path.GetFileName(dir)["cuda-".Length..], out var v) ? v : new Version(0, 0);

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<int*, int*, int> Version;
        public readonly delegate* unmanaged<int, byte*> GetErrorString;
        public readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> CreateProgram;
        public readonly delegate* unmanaged<nint, int, byte**, int> CompileProgram;
        public readonly delegate* unmanaged<nint, nuint*, int> GetProgramLogSize;
        public readonly delegate* unmanaged<nint, byte*, int> GetProgramLog;
        public readonly delegate* unmanaged<nint, nuint*, int> GetPTXSize;
        public readonly delegate* unmanaged<nint, byte*, int> GetPTX;
        public readonly delegate* unmanaged<nint*, int> DestroyProgram;
        /// <summary>Optional (NVRTC 11.2+); null when absent.</summary>
        public readonly delegate* unmanaged<int*, int> GetNumSupportedArchs;
        /// <summary>Optional (NVRTC 11.2+); null when absent.</summary>
        public readonly delegate* unmanaged<int*, int> GetSupportedArchs;

        public Fns(NativeLibraryProbe p)
        {
            Version = (delegate* unmanaged<int*, int*, int>)p.Export("nvrtcVersion");
            GetErrorString = (delegate* unmanaged<int, byte*>)p.Export("nvrtcGetErrorString");
            CreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)p.Export("nvrtcCreateProgram");
            CompileProgram = (delegate* unmanaged<nint, int, byte**, int>)p.Export("nvrtcCompileProgram");
            GetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)p.Export("nvrtcGetProgramLogSize");
            GetProgramLog = (delegate* unmanaged<nint, byte*, int>)p.Export("nvrtcGetProgramLog");
            GetPTXSize = (delegate* unmanaged<nint, nuint*, int>)p.Export("nvrtcGetPTXSize");
            GetPTX = (delegate* unmanaged<nint, byte*, int>)p.Export("nvrtcGetPTX");
            DestroyProgram = (delegate* unmanaged<nint*, int>)p.Export("nvrtcDestroyProgram");
            GetNumSupportedArchs = (delegate* unmanaged<int*, int>)p.TryExport("nvrtcGetNumSupportedArchs");
            GetSupportedArchs = (delegate* unmanaged<int*, int>)p.TryExport("nvrtcGetSupportedArchs");
        }
    }

    // nvrtcResult values used by the engine (nvrtc.h).
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    /// <summary>NVRTC's text for a status, e.g. <c>NVRTC_ERROR_COMPILATION</c>.</summary>
    public static string ErrorString(int status)
    {
        try
        {
            var s = F.GetErrorString(status);
            return s == null ? $"NVRTC_ERROR_{status}" : Marshal.PtrToStringUTF8((nint)s) ?? $"NVRTC_ERROR_{status}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return $"NVRTC_ERROR_{status}"; }
    }

    /// <summary>Throws a <see cref="Compute.ComputeException"/> naming the call and NVRTC's status text.</summary>
    public static void ThrowIfFailed(int status, string api)
    {
        if (status == Success) return;
        throw new Compute.ComputeException($"{api} failed: {ErrorString(status)} ({status}) [NVRTC from {LoadedFrom}]");
    }
}
