// Writes .npz files (a zip of .npy members, stored uncompressed as numpy.savez does) for search
// results: ids int64 and scores float32. Built in a temp file and renamed into place when complete.
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

/// <summary>Builds a <c>.npz</c> archive; members become visible to readers only after <see cref="Dispose"/>.</summary>
internal sealed class NpzWriter : IDisposable
{
    private readonly string _path;
    private readonly string _tmp;
    private readonly FileStream _fs;
    private readonly ZipArchive _zip;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private bool _done;

    /// <summary>Starts writing <paramref name="path"/>.</summary>
    public NpzWriter(string path)
    {
        _path = path;
        _tmp = path + ".tmp";
        _fs = new FileStream(_tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        _zip = new ZipArchive(_fs, ZipArchiveMode.Create, leaveOpen: true);
    }

    /// <summary>Adds member <paramref name="name"/> (numpy key; ".npy" is appended) with the given shape.</summary>
    public void Add<T>(string name, ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (string.IsNullOrEmpty(name) || name.Contains('/')) throw new ArgumentException("member name must be a plain key", nameof(name));
        if (!_names.Add(name)) throw new ArgumentException($"member '{name}' was already added", nameof(name));
        var entry = _zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression);
        using var s = entry.Open();
        NpyFile.WriteTo(s, data, shape);
    }

    /// <summary>Writes a result file: <c>ids</c> (queries × k, int64) and <c>scores</c> (queries × k, float32).</summary>
    public static void WriteResults(string path, ReadOnlySpan<long> ids, ReadOnlySpan<float> scores, int queries, int k)
    {
        if (ids.Length != (long)queries * k || scores.Length != ids.Length)
            throw new ArgumentException($"ids ({ids.Length}) and scores ({scores.Length}) must both hold {queries} × {k} values");
        using var w = new NpzWriter(path);
        w.Add("ids", ids, queries, k);
        w.Add("scores", scores, queries, k);
    }

    /// <summary>Reads every member of an .npz file (for tests and tools).</summary>
    public static IReadOnlyDictionary<string, NpyArray> ReadAll(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            var key = e.FullName.EndsWith(".npy", StringComparison.Ordinal) ? e.FullName[..^4] : e.FullName;
            result[key] = NpyFile.Read(s, $"{path}:{e.FullName}", e.Length);
        }
        return result;
    }

    /// <summary>Finishes the archive, fsyncs it and renames it into place.</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _zip.Dispose();
        _fs.Flush(flushToDisk: true);
        _fs.Dispose();
        File.Move(_tmp, _path, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }
}
