// Reader for 2-D .npy matrices (little-endian float32 '<f4' or float16 '<f2', C order) for `gpusearch knn`.
// The header goes through the store's strict .npy header reader (one parser: no negative dims, checked
// sizes); every error names the file and what was found.
using GpuSearch.Store;

namespace GpuSearch.Search.Io;

/// <summary>A row-major float matrix read from a .npy file.</summary>
/// <param name="Rows">Rows (vectors).</param>
/// <param name="Cols">Columns (dimension).</param>
/// <param name="Data">Rows×Cols values (fp16 files are widened to fp32 exactly).</param>
/// <param name="SourceDType">The file's dtype descriptor, e.g. <c>&lt;f4</c>.</param>
internal sealed record NpyMatrix(int Rows, int Cols, float[] Data, string SourceDType);

/// <summary>Reads 2-D <c>&lt;f4</c>/<c>&lt;f2</c> C-order .npy files.</summary>
internal static class NpyMatrixReader
{
    /// <summary>Reads the whole matrix.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, wrong dtype, Fortran order, not 2-D, too large or truncated.</exception>
    public static NpyMatrix Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var fs = IO.UntrustedFile.OpenRegular(path);
        var h = NpyHeader.Read(fs, path, null);
        if (h.DType is not (NpyDType.Float32 or NpyDType.Float16))
            throw new InvalidDataException($"{path}: dtype '{h.DType.Descr()}' is not supported; expected little-endian float32 ('<f4') or float16 ('<f2')");
        if (h.Shape.Length != 2) throw new InvalidDataException($"{path}: expected a 2-D matrix (vectors × dimension), found shape {h.ShapeText}");
        long rows = h.Rows, cols = h.Columns;
        if (cols <= 0) throw new InvalidDataException($"{path}: dimension is {cols}");
        if (h.ElementCount > Array.MaxLength) throw new InvalidDataException($"{path}: {rows}×{cols} values exceed what one array holds ({Array.MaxLength})");
        long bytes = h.DataLength;
        if (fs.Length - h.DataOffset < bytes)
            throw new InvalidDataException($"{path}: truncated: shape ({rows}, {cols}) needs {bytes:N0} data bytes, the file has {fs.Length - h.DataOffset:N0}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported");
        var data = new float[rows * cols];
        fs.Position = h.DataOffset;
        if (h.DType == NpyDType.Float32) fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        else
        {
            var half = new Half[rows * cols];
            fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
            for (long i = 0; i < half.LongLength; i++) data[i] = (float)half[i];
        }
        return new NpyMatrix((int)rows, (int)cols, data, h.DType.Descr());
    }
}
