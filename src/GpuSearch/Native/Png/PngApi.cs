// Thin binding of libpng's *simplified* read API (libpng16.so.16). Only the simplified API is bound:
// the classic API reports errors by longjmp, which must never unwind through managed frames; the
// simplified one catches its own longjmp and returns 0 with a message instead.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Png;

internal static unsafe class PngApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("libpng 1.6",
        OperatingSystem.IsWindows() ? ["libpng16.dll", "libpng16-16.dll"] :
        OperatingSystem.IsMacOS() ? ["libpng16.16.dylib", "libpng16.dylib", "/opt/homebrew/lib/libpng16.dylib"] :
        ["libpng16.so.16", "libpng16.so", "/usr/lib/x86_64-linux-gnu/libpng16.so.16", "/usr/lib64/libpng16.so.16"]));

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why libpng cannot be used, or null when it can.</summary>
    public static string? UnavailableReason => Table.Value is null ? Probe.Value.UnavailableReason : null;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(Probe.Value.UnavailableReason);

    /// <summary>png_image from png.h (1.6): a control pointer, seven png_uint_32 fields and a 64-byte message.
    /// On LP64 that is 8 + 28 + 64 = 100 bytes, padded to 104 by the pointer's alignment.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PngImage
    {
        public nint Opaque;            // png_controlp, NULL before begin_read, freed by png_image_free
        public uint Version;           // PNG_IMAGE_VERSION
        public uint Width;
        public uint Height;
        public uint Format;            // PNG_FORMAT_* bits
        public uint Flags;             // PNG_IMAGE_FLAG_*
        public uint ColormapEntries;
        public uint WarningOrError;    // PNG_IMAGE_WARNING=1, PNG_IMAGE_ERROR=2
        public fixed byte Message[64];
    }

    /// <summary>png_color: three bytes, used as the background argument of finish_read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PngColor
    {
        public byte Red, Green, Blue;
    }

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<PngImage*, void*, nuint, int> BeginReadFromMemory;
        public readonly delegate* unmanaged<PngImage*, PngColor*, void*, int, void*, int> FinishRead;
        public readonly delegate* unmanaged<PngImage*, void> Free;

        public Fns(NativeLibraryProbe p)
        {
            BeginReadFromMemory = (delegate* unmanaged<PngImage*, void*, nuint, int>)p.Export("png_image_begin_read_from_memory");
            FinishRead = (delegate* unmanaged<PngImage*, PngColor*, void*, int, void*, int>)p.Export("png_image_finish_read");
            Free = (delegate* unmanaged<PngImage*, void>)p.Export("png_image_free");
        }
    }

    // Constants from png.h (1.6), only those used.
    public const uint ImageVersion = 1;
    public const uint FormatFlagAlpha = 0x01, FormatFlagColor = 0x02, FormatFlagLinear = 0x04, FormatFlagColormap = 0x08;
    public const uint FormatRgb = FormatFlagColor, FormatRgba = FormatFlagColor | FormatFlagAlpha;
    public const uint FormatLinearRgb = FormatFlagLinear | FormatFlagColor;
    public const uint FormatLinearRgba = FormatFlagLinear | FormatFlagColor | FormatFlagAlpha;

    /// <summary>The NUL-terminated message of a png_image.</summary>
    public static string MessageOf(PngImage* img)
    {
        var s = Marshal.PtrToStringUTF8((nint)img->Message, 64);
        var nul = s.IndexOf('\0');
        return nul >= 0 ? s[..nul] : s;
    }
}
