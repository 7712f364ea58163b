// Thin libc binding for what .NET does not expose: the file type (FIFO, device, socket) before and after
// open, a non-blocking open (opening a FIFO for reading blocks until a writer appears), and realpath.
// statx is used rather than stat because its struct layout is the same on every Linux architecture.
using System.Runtime.InteropServices;

namespace GpuSearch.Native.Posix;

/// <summary>The kind of object a path or descriptor refers to (the S_IFMT bits).</summary>
internal enum PosixFileKind { Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, SymbolicLink, Unknown }

internal static unsafe partial class PosixFileApi
{
    private const int AtFdCwd = -100, AtEmptyPath = 0x1000, AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const int ORdOnly = 0, ONoCtty = 0x100, ONonBlock = 0x800, OCloExec = 0x80000; // same on x86_64 and aarch64

    /// <summary>True where these calls exist (Linux with glibc 2.28+); elsewhere callers use plain .NET I/O.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);

    /// <summary>The kind and size of <paramref name="path"/>; links are followed unless <paramref name="noFollow"/>.</summary>
    public static (PosixFileKind Kind, long Size) Stat(string path, bool noFollow = false) =>
        StatCore(AtFdCwd, path, noFollow ? AtSymlinkNoFollow : 0);

    /// <summary>The kind and size of an open descriptor (fstat).</summary>
    public static (PosixFileKind Kind, long Size) Stat(SafeHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return StatCore((int)handle.DangerousGetHandle(), "", AtEmptyPath);
        }
        finally { if (added) handle.DangerousRelease(); }
    }

    private static (PosixFileKind, long) StatCore(int dirfd, string path, int flags)
    {
        byte* buf = stackalloc byte[256]; // sizeof(struct statx)
        if (Statx(dirfd, path, flags, StatxType | StatxSize, buf) != 0) throw Error(path.Length > 0 ? path : "descriptor");
        ushort mode = *(ushort*)(buf + 28);
        long size = *(long*)(buf + 40);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => PosixFileKind.Regular, 0x4000 => PosixFileKind.Directory, 0x1000 => PosixFileKind.Fifo,
            0x2000 => PosixFileKind.CharacterDevice, 0x6000 => PosixFileKind.BlockDevice, 0xC000 => PosixFileKind.Socket,
            0xA000 => PosixFileKind.SymbolicLink, _ => PosixFileKind.Unknown,
        };
        return (kind, size);
    }

    /// <summary>Opens for reading without blocking on a FIFO and without taking a controlling terminal.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenReadNonBlocking(string path)
    {
        int fd = Open(path, ORdOnly | ONonBlock | ONoCtty | OCloExec);
        if (fd < 0) throw Error(path);
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The canonical absolute path with every symbolic link resolved (the path must exist).</summary>
    public static string ResolveRealPath(string path)
    {
        nint p = RealPath(path, 0);
        if (p == 0) throw Error(path);
        try { return Marshal.PtrToStringUTF8(p)!; }
        finally { Free(p); }
    }

    private static Exception Error(string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        string message = $"'{path}': {Marshal.GetPInvokeErrorMessage(errno)}";
        return errno switch
        {
            2 or 20 => new FileNotFoundException(message, path), // ENOENT, ENOTDIR
            13 or 1 => new UnauthorizedAccessException(message), // EACCES, EPERM
            _ => new IOException(message),
        };
    }
}
