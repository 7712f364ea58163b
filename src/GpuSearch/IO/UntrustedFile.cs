// Opening files whose names come from untrusted input (image lists, a model's external-data location,
// .npy arguments). Only regular files are opened: a FIFO would block the reader forever (open(2) for
// reading waits for a writer, read(2) for data) and a device can stream without end. The type is checked
// on the path before opening, the open itself cannot block (O_NONBLOCK), and the type is checked again on
// the descriptor, so swapping the file between the two checks gains nothing. Paths that must stay inside a
// folder are compared after resolving every symbolic link, file and directory alike.
using GpuSearch.Native.Posix;

namespace GpuSearch.IO;

/// <summary>Safe opening of files named by untrusted input.</summary>
internal static class UntrustedFile
{
    /// <summary>Opens <paramref name="path"/> for reading if it is a regular file (after following links).</summary>
    /// <exception cref="IOException">Not a regular file (FIFO, device, socket, directory), missing or unreadable.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static FileStream OpenRegular(string path)
    {
        if (!PosixFileApi.IsSupported)
        {
            if (Directory.Exists(path)) throw new IOException($"'{path}' is a directory, not a regular file");
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        RequireRegular(path, PosixFileApi.Stat(path).Kind);
        var handle = PosixFileApi.OpenReadNonBlocking(path);
        try
        {
            RequireRegular(path, PosixFileApi.Stat(handle).Kind);
            return new FileStream(handle, FileAccess.Read, bufferSize: 1);
        }
        catch { handle.Dispose(); throw; }
    }

    /// <summary>Reads a whole regular file, refusing one longer than <paramref name="maxBytes"/> before allocating.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes = int.MaxValue)
    {
        using var fs = OpenRegular(path);
        long length = fs.Length;
        if (length > Math.Min(maxBytes, Array.MaxLength))
            throw new FileTooLargeException(path, length, Math.Min(maxBytes, Array.MaxLength));
        var bytes = new byte[length];
        fs.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The canonical absolute path of an existing file or folder, every symbolic link resolved.</summary>
    public static string RealPath(string path)
    {
        if (PosixFileApi.IsSupported) return PosixFileApi.ResolveRealPath(path);
        var full = Path.GetFullPath(path);
        var info = File.Exists(full) ? (FileSystemInfo)new FileInfo(full) : new DirectoryInfo(full);
        return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }

    /// <summary>Resolves <paramref name="relative"/> against <paramref name="root"/> and returns its real path,
    /// or null when that real path (links followed) lies outside the real path of <paramref name="root"/>.</summary>
    public static string? ResolveInside(string root, string relative)
    {
        var real = RealPath(Path.Combine(root, relative));
        return IsInside(RealPath(root), real) ? real : null;
    }

    /// <summary>Opens a regular file that <see cref="ResolveInside"/> placed inside <paramref name="root"/>, and
    /// checks again what was actually opened (Linux: the descriptor's own path), so a link swapped in between
    /// the check and the open gains nothing. Null when the opened file is outside.</summary>
    public static FileStream? OpenRegularInside(string root, string realPath)
    {
        var fs = OpenRegular(realPath);
        var fdLink = $"/proc/self/fd/{fs.SafeFileHandle.DangerousGetHandle()}";
        if (PosixFileApi.IsSupported && new FileInfo(fdLink).LinkTarget is { } opened && !IsInside(RealPath(root), opened))
        {
            fs.Dispose();
            return null;
        }
        return fs;
    }

    private static bool IsInside(string realRoot, string realPath) =>
        realPath.StartsWith(realRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static void RequireRegular(string path, PosixFileKind kind)
    {
        if (kind != PosixFileKind.Regular) throw new NotARegularFileException(path, kind);
    }
}

/// <summary>A path names a FIFO, device, socket or folder where a regular file is required.</summary>
internal sealed class NotARegularFileException(string path, PosixFileKind kind)
    : IOException($"'{path}' is {Describe(kind)}, not a regular file; refused so the read cannot block or run without end")
{
    /// <summary>What the path turned out to be.</summary>
    public PosixFileKind Kind { get; } = kind;

    private static string Describe(PosixFileKind k) => k switch
    {
        PosixFileKind.Fifo => "a named pipe (FIFO)",
        PosixFileKind.CharacterDevice => "a character device",
        PosixFileKind.BlockDevice => "a block device",
        PosixFileKind.Socket => "a socket",
        PosixFileKind.Directory => "a directory",
        _ => "a special file",
    };
}

/// <summary>A file is longer than the caller's limit; refused before reading.</summary>
internal sealed class FileTooLargeException(string path, long length, long limit)
    : IOException($"'{path}' is {length} bytes, over the limit of {limit}")
{
    /// <summary>The file's length in bytes.</summary>
    public long Length { get; } = length;
}
