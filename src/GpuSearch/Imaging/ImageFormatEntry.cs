// One image format as the registry (ImageFormats) describes it: how it is recognised, named on disk and on the wire,
// decoded, and whether it can be decoded here. Everything that differs per format lives in one such entry, so adding
// a format is one entry (plus its decoder folder), not edits to parallel switches that drift apart.
namespace GpuSearch.Imaging;

/// <summary>Whether a file's leading bytes are this format: a magic-byte or strict header check, never the file name.</summary>
internal delegate bool FormatSignature(ReadOnlySpan<byte> head);

/// <summary>Decodes a whole file of this format into stored (not yet oriented or flattened) pixels.</summary>
internal delegate FormatPixels FormatDecode(ReadOnlySpan<byte> data, string name, DecodeOptions options);

/// <summary>A format decoder's output before the shared finishing steps (alpha flattening, EXIF orientation).</summary>
/// <param name="Pixels">The stored pixels.</param>
/// <param name="Orientation">The EXIF orientation the file declares (1 when none).</param>
/// <param name="FullSize">The full stored size when <paramref name="Pixels"/> was decoded smaller (JPEG scaling); null otherwise.</param>
internal readonly record struct FormatPixels(PixelBuffer Pixels, int Orientation = 1, (int Width, int Height)? FullSize = null);

/// <summary>One registered image format.</summary>
/// <param name="Format">The public enum value.</param>
/// <param name="Matches">The detection check; entries are tried in registry order.</param>
/// <param name="FolderExtensions">File extensions picked up when scanning a folder (lower case, with the dot).</param>
/// <param name="MimeType">The media type the web server sends for files of this format.</param>
/// <param name="Extension">The canonical extension for files we store (uploads), one of <paramref name="FolderExtensions"/>.</param>
/// <param name="Decode">The decoder.</param>
/// <param name="UnavailableReason">Null when the format decodes here; otherwise why not (a missing native library).</param>
internal sealed record ImageFormatEntry(
    ImageFormat Format,
    FormatSignature Matches,
    IReadOnlyList<string> FolderExtensions,
    string MimeType,
    string Extension,
    FormatDecode Decode,
    Func<string?> UnavailableReason);
