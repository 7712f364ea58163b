// Whole-file .npy reading and writing. Writes go to a temp file that is fsynced and renamed over
// the target, so a reader never sees a half-written result file.
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

/// <summary>Reads and writes <c>.npy</c> files.</summary>
internal static class NpyFile
{
    /// <summary>Reads only the header of <paramref name="path"/>, validating it against the file length.</summary>
    /// <exception cref="InvalidDataException">Malformed or unsupported header, or a length mismatch.</exception>
    public static NpyHeader ReadHeader(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return NpyHeader.Read(fs, path, fs.Length);
    }

    /// <summary>Reads a whole file into memory.</summary>
    /// <exception cref="InvalidDataException">Malformed or unsupported file, naming it and what is wrong.</exception>
    public static NpyArray Read(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Read(fs, path, fs.Length);
    }

    /// <summary>Reads an array from a stream of known length (e.g. a zip entry); <paramref name="name"/> appears in errors.</summary>
    public static NpyArray Read(Stream s, string name, long? length)
    {
        var h = NpyHeader.Read(s, name, length);
        if (h.DataLength > Array.MaxLength)
            throw new InvalidDataException($"{name}: {h.DataLength} bytes of data is too large to load at once; use NpyRowReader");
        var data = new byte[h.DataLength];
        s.ReadExactly(data);
        return new NpyArray(h.DType, h.Shape, data);
    }

    /// <summary>Writes <paramref name="data"/> with the given 1-D or 2-D shape (atomically: temp file + rename).</summary>
    public static void Write<T>(string path, ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            WriteTo(fs, data, shape);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Writes an array to a file atomically.</summary>
    public static void Write(string path, NpyArray array)
    {
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(NpyHeader.Encode(array.DType, array.Shape.ToArray()));
            fs.Write(array.Bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Writes header and data to a stream.</summary>
    public static void WriteTo<T>(Stream s, ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} elements do not fill shape ({string.Join(", ", shape)})", nameof(shape));
        s.Write(NpyHeader.Encode(NpyDTypes.Of<T>(), shape));
        s.Write(MemoryMarshal.AsBytes(data));
    }
}
