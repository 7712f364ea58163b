// Streams rows of a big .npy file in caller-sized chunks so vector files larger than memory
// (or than a single .NET array) can be read without loading them whole.
using System.Runtime.InteropServices;

namespace GpuSearch.Store;

/// <summary>Reads the rows of a 2-D (or the elements of a 1-D) <c>.npy</c> file sequentially.</summary>
internal sealed class NpyRowReader : IDisposable
{
    private readonly FileStream _fs;
    private long _nextRow;

    private NpyRowReader(FileStream fs, NpyHeader header, string path)
    {
        _fs = fs;
        Header = header;
        Path = path;
    }

    /// <summary>Opens <paramref name="path"/> and validates its header against the file length.</summary>
    /// <exception cref="InvalidDataException">Malformed or unsupported file.</exception>
    public static NpyRowReader Open(string path)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        try { return new NpyRowReader(fs, NpyHeader.Read(fs, path, fs.Length), path); }
        catch { fs.Dispose(); throw; }
    }

    /// <summary>The file's header.</summary>
    public NpyHeader Header { get; }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>Elements per row.</summary>
    public int Columns => checked((int)Header.Columns);

    /// <summary>Rows not yet read.</summary>
    public long RowsRemaining => Header.Rows - _nextRow;

    /// <summary>Moves to row <paramref name="row"/>.</summary>
    public void Seek(long row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(row, Header.Rows);
        _nextRow = row;
        _fs.Position = Header.DataOffset + row * Columns * Header.DType.ItemSize();
    }

    /// <summary>
    /// Fills whole rows of <paramref name="destination"/> (whose type must match the dtype) and
    /// returns how many rows were read; 0 at the end.
    /// </summary>
    public int ReadRows<T>(Span<T> destination) where T : unmanaged
    {
        if (NpyDTypes.Of<T>() != Header.DType)
            throw new InvalidOperationException($"{Path} holds {Header.DType}, not {typeof(T).Name}");
        int rows = (int)Math.Min(destination.Length / Columns, RowsRemaining);
        if (rows == 0) return 0;
        _fs.ReadExactly(MemoryMarshal.AsBytes(destination[..(rows * Columns)]));
        _nextRow += rows;
        return rows;
    }

    /// <summary>Reads up to <paramref name="maxRows"/> rows converted to float32 into <paramref name="destination"/>.</summary>
    public int ReadRowsAsFloat32(Span<float> destination, int maxRows)
    {
        int rows = (int)Math.Min(Math.Min(maxRows, destination.Length / Columns), RowsRemaining);
        if (rows == 0) return 0;
        var raw = new byte[rows * Columns * Header.DType.ItemSize()];
        _fs.ReadExactly(raw);
        NpyConvert.ToFloat32(Header.DType, raw, destination[..(rows * Columns)]);
        _nextRow += rows;
        return rows;
    }

    /// <inheritdoc/>
    public void Dispose() => _fs.Dispose();
}
