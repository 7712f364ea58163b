// Thin TurboJPEG 2.x binding (libturbojpeg.so.0): only the decompression entry points the decoder
// calls, resolved once, lazily, as unmanaged function pointers. The 2.x API (not 3.x) is used
// because Debian 12 ships libjpeg-turbo 2.1.5.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Jpeg;

internal static unsafe class TurboJpegApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("TurboJPEG (libjpeg-turbo)",
        OperatingSystem.IsWindows() ? ["turbojpeg.dll"] :
        OperatingSystem.IsMacOS() ? ["libturbojpeg.0.dylib", "libturbojpeg.dylib", "/opt/homebrew/lib/libturbojpeg.dylib"] :
        ["libturbojpeg.so.0", "libturbojpeg.so", "/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0", "/usr/lib64/libturbojpeg.so.0"]));

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why TurboJPEG cannot be used, or null when it can.</summary>
    public static string? UnavailableReason => Table.Value is null ? Probe.Value.UnavailableReason : null;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(Probe.Value.UnavailableReason);

    /// <summary>tjscalingfactor: a scaling ratio num/denom supported by the DCT-domain decoder.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ScalingFactor
    {
        public int Num;
        public int Denom;
    }

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<nint> InitDecompress;
        // unsigned long is 64-bit on Linux/macOS and 32-bit on Windows: CULong keeps the ABI right on both.
        public readonly delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public readonly delegate* unmanaged<int*, ScalingFactor*> GetScalingFactors;
        public readonly delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public readonly delegate* unmanaged<nint, byte*> GetErrorStr2;
        public readonly delegate* unmanaged<nint, int> GetErrorCode;
        public readonly delegate* unmanaged<nint, int> Destroy;

        public Fns(NativeLibraryProbe p)
        {
            InitDecompress = (delegate* unmanaged<nint>)p.Export("tjInitDecompress");
            DecompressHeader3 = (delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int>)p.Export("tjDecompressHeader3");
            GetScalingFactors = (delegate* unmanaged<int*, ScalingFactor*>)p.Export("tjGetScalingFactors");
            Decompress2 = (delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int>)p.Export("tjDecompress2");
            GetErrorStr2 = (delegate* unmanaged<nint, byte*>)p.Export("tjGetErrorStr2");
            GetErrorCode = (delegate* unmanaged<nint, int>)p.Export("tjGetErrorCode");
            Destroy = (delegate* unmanaged<nint, int>)p.Export("tjDestroy");
        }
    }

    // Constants from turbojpeg.h (2.x), only those used.
    public const int PixelFormatRgb = 0;      // TJPF_RGB
    public const int PixelFormatCmyk = 11;    // TJPF_CMYK
    public const int ColorspaceCmyk = 3;      // TJCS_CMYK
    public const int ColorspaceYcck = 4;      // TJCS_YCCK
    public const int ErrorWarning = 0;        // TJERR_WARNING
    public const int FlagAccurateDct = 4096;  // TJFLAG_ACCURATEDCT (the default ISLOW; stated for clarity)

    /// <summary>TJSCALED: the size of one dimension after DCT-domain scaling (rounds up).</summary>
    public static int Scaled(int dim, ScalingFactor f) => (int)(((long)dim * f.Num + f.Denom - 1) / f.Denom);
}
