// fsync helpers. FileStream.Flush(true) covers file contents; a rename or create is only durable
// once the containing directory is fsynced too, which .NET has no API for, so we call libc.
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

internal static partial class DurableFile
{
    private const int O_RDONLY = 0;

    /// <summary>Makes creates/renames/deletes inside <paramref name="directory"/> durable (no-op off Unix).</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS metadata is journaled; no directory handle fsync there.
        int fd = Open(directory, O_RDONLY);
        if (fd < 0) return; // Best effort: a failure here only weakens power-loss durability, not crash safety.
        try { _ = FSync(fd); }
        finally { _ = Close(fd); }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> and fsyncs the file.</summary>
    public static void WriteAt(FileStream fs, long offset, ReadOnlySpan<byte> data, bool sync)
    {
        RandomAccess.Write(fs.SafeFileHandle, data, offset);
        if (sync) RandomAccess.FlushToDisk(fs.SafeFileHandle);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
