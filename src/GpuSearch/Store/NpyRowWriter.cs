// Streams rows into a big .npy file whose row count is not known up front (e.g. embeddings as they
// come off the device). Rows go to a temp file behind a fixed-size header; Complete() writes the real
// row count and renames it into place, so a reader never sees a partial file under the final name.
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

/// <summary>Writes a 2-D <c>.npy</c> file row by row.</summary>
internal sealed class NpyRowWriter : IDisposable
{
    // Room for any 64-bit row count in the header without moving the data.
    private const int HeaderBytes = 128;
    private readonly FileStream _fs;
    private readonly string _path;
    private readonly string _tmp;
    private bool _completed;

    /// <summary>Starts <paramref name="path"/> with <paramref name="columns"/> elements per row.</summary>
    public NpyRowWriter(string path, NpyDType dtype, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        _path = path;
        _tmp = path + ".tmp";
        DType = dtype;
        Columns = columns;
        _fs = new FileStream(_tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _fs.Write(NpyHeader.Encode(dtype, [0, columns], HeaderBytes));
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Elements per row.</summary>
    public int Columns { get; }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Appends whole rows; the span length must be a multiple of <see cref="Columns"/> and its type match the dtype.</summary>
    public void WriteRows<T>(ReadOnlySpan<T> rows) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (NpyDTypes.Of<T>() != DType) throw new ArgumentException($"writer holds {DType}, not {typeof(T).Name}");
        if (rows.Length % Columns != 0) throw new ArgumentException($"{rows.Length} values are not whole rows of {Columns}");
        _fs.Write(MemoryMarshal.AsBytes(rows));
        Rows += rows.Length / Columns;
    }

    /// <summary>Writes the final header, fsyncs and renames the file into place.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _fs.Flush();
        RandomAccess.Write(_fs.SafeFileHandle, NpyHeader.Encode(DType, [Rows, Columns], HeaderBytes), 0);
        _fs.Flush(flushToDisk: true);
        _fs.Dispose();
        _completed = true;
        File.Move(_tmp, _path, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }

    /// <summary>Abandons the file unless <see cref="Complete"/> was called (the temp file is removed).</summary>
    public void Dispose()
    {
        if (_completed) return;
        _completed = true;
        _fs.Dispose();
        File.Delete(_tmp);
    }
}
