// Thin libwebp binding (libwebp.so.7): feature probe and decode-into-caller-buffer entry points only.
// WebPGetFeatures is a header inline over WebPGetFeaturesInternal, so the internal symbol is bound with
// the decoder ABI version the caller was built against.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Webp;

internal static unsafe class WebpApi
{
    private static readonly Lazy<NativeLibraryProbe> Probe = new(() => NativeLibraryProbe.Load("libwebp",
        OperatingSystem.IsWindows() ? ["libwebp.dll"] :
        OperatingSystem.IsMacOS() ? ["libwebp.7.dylib", "libwebp.dylib", "/opt/homebrew/lib/libwebp.dylib"] :
        ["libwebp.so.7", "libwebp.so", "/usr/lib/x86_64-linux-gnu/libwebp.so.7", "/usr/lib64/libwebp.so.7"]));

    private static readonly Lazy<Fns?> Table = new(() => Probe.Value.IsAvailable ? new Fns(Probe.Value) : null);

    /// <summary>Why libwebp cannot be used, or null when it can.</summary>
    public static string? UnavailableReason => Table.Value is null ? Probe.Value.UnavailableReason : null;

    public static Fns F => Table.Value ?? throw new DllNotFoundException(Probe.Value.UnavailableReason);

    /// <summary>WebPBitstreamFeatures from decode.h: five ints and five reserved uint32.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BitstreamFeatures
    {
        public int Width;
        public int Height;
        public int HasAlpha;
        public int HasAnimation;
        public int Format;             // 0 undefined/mixed, 1 lossy, 2 lossless
        public fixed uint Pad[5];
    }

    internal sealed class Fns
    {
        public readonly delegate* unmanaged<byte*, nuint, BitstreamFeatures*, int, int> GetFeaturesInternal;
        public readonly delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*> DecodeRgbInto;
        public readonly delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*> DecodeRgbaInto;
        public readonly delegate* unmanaged<int> GetDecoderVersion;

        public Fns(NativeLibraryProbe p)
        {
            GetFeaturesInternal = (delegate* unmanaged<byte*, nuint, BitstreamFeatures*, int, int>)p.Export("WebPGetFeaturesInternal");
            DecodeRgbInto = (delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*>)p.Export("WebPDecodeRGBInto");
            DecodeRgbaInto = (delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*>)p.Export("WebPDecodeRGBAInto");
            GetDecoderVersion = (delegate* unmanaged<int>)p.Export("WebPGetDecoderVersion");
        }
    }

    /// <summary>WEBP_DECODER_ABI_VERSION of libwebp 1.1–1.4; the library only checks the major byte.</summary>
    public const int DecoderAbiVersion = 0x0209;

    // VP8StatusCode values.
    public const int StatusOk = 0, StatusOutOfMemory = 1, StatusInvalidParam = 2, StatusBitstreamError = 3,
        StatusUnsupportedFeature = 4, StatusSuspended = 5, StatusUserAbort = 6, StatusNotEnoughData = 7;

    /// <summary>"major.minor.revision" of the loaded libwebp decoder.</summary>
    public static string Version()
    {
        var v = F.GetDecoderVersion();
        return $"{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}";
    }
}
