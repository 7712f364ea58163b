// Minimal reader for 2-D .npy matrices (little-endian float32 '<f4' or float16 '<f2', C order), enough
// for `gpusearch knn`; the Store/ reader will replace it. Every error names the file and what was found.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSearch.Search.Io;

/// <summary>A row-major float matrix read from a .npy file.</summary>
/// <param name="Rows">Rows (vectors).</param>
/// <param name="Cols">Columns (dimension).</param>
/// <param name="Data">Rows×Cols values (fp16 files are widened to fp32 exactly).</param>
/// <param name="SourceDType">The file's dtype descriptor, e.g. <c>&lt;f4</c>.</param>
public sealed record NpyMatrix(int Rows, int Cols, float[] Data, string SourceDType);

/// <summary>Reads 2-D <c>&lt;f4</c>/<c>&lt;f2</c> C-order .npy files.</summary>
public static partial class NpyMatrixReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the whole matrix.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, wrong dtype, Fortran order, not 2-D, or truncated.</exception>
    public static NpyMatrix Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var fs = IO.UntrustedFile.OpenRegular(path);
        var (descr, fortran, shape, dataOffset) = ReadHeader(fs, path);
        if (descr is not ("<f4" or "<f2"))
            throw new InvalidDataException($"{path}: dtype '{descr}' is not supported; expected little-endian float32 ('<f4') or float16 ('<f2')");
        if (fortran) throw new InvalidDataException($"{path}: Fortran-order arrays are not supported; save with C order (np.ascontiguousarray)");
        if (shape.Length != 2) throw new InvalidDataException($"{path}: expected a 2-D matrix (vectors × dimension), found shape ({string.Join(", ", shape)})");
        long rows = shape[0], cols = shape[1];
        if (cols <= 0) throw new InvalidDataException($"{path}: dimension is {cols}");
        if (rows * cols > Array.MaxLength) throw new InvalidDataException($"{path}: {rows}×{cols} values exceed what one array holds");
        int es = descr == "<f4" ? 4 : 2;
        long bytes = rows * cols * es;
        if (fs.Length - dataOffset < bytes)
            throw new InvalidDataException($"{path}: truncated: shape ({rows}, {cols}) needs {bytes:N0} data bytes, the file has {fs.Length - dataOffset:N0}");
        var data = new float[rows * cols];
        fs.Position = dataOffset;
        if (es == 4)
        {
            fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported");
        }
        else
        {
            var half = new Half[rows * cols];
            fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
            for (long i = 0; i < half.LongLength; i++) data[i] = (float)half[i];
        }
        return new NpyMatrix((int)rows, (int)cols, data, descr);
    }

    private static (string Descr, bool Fortran, long[] Shape, long DataOffset) ReadHeader(Stream s, string path)
    {
        Span<byte> pre = stackalloc byte[10];
        if (s.Read(pre) < 10 || !pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file (missing \\x93NUMPY magic)");
        int major = pre[6];
        int headerLen;
        long offset;
        if (major == 1) { headerLen = pre[8] | pre[9] << 8; offset = 10; }
        else if (major is 2 or 3)
        {
            Span<byte> b = stackalloc byte[2];
            s.ReadExactly(b);
            headerLen = pre[8] | pre[9] << 8 | b[0] << 16 | b[1] << 24;
            offset = 12;
        }
        else throw new InvalidDataException($"{path}: unsupported .npy format version {major}");
        if (headerLen <= 0 || headerLen > 1 << 20) throw new InvalidDataException($"{path}: implausible header length {headerLen}");
        var header = new byte[headerLen];
        s.Position = offset;
        s.ReadExactly(header);
        var text = Encoding.Latin1.GetString(header);
        var descr = DescrRx().Match(text);
        var fortran = FortranRx().Match(text);
        var shape = ShapeRx().Match(text);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidDataException($"{path}: malformed .npy header: {text.Trim()}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims, offset + headerLen);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRx();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRx();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRx();
}
