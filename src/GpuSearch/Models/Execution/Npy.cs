// Minimal .npy (NumPy format 1.0/2.0) reader and writer for fp32 tensors: what run-onnx reads and
// writes. Little-endian '<f4' C-order only on write; reads '<f4', '<f8', '<f2' and integer types,
// converting to float.
using System.Text;

namespace GpuSearch.Models.Execution;

/// <summary>Reads and writes NumPy .npy files as <see cref="HostTensor"/>s.</summary>
internal static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes <paramref name="t"/> as a C-order '&lt;f4' array (format 1.0).</summary>
    public static void Write(string path, HostTensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var f = File.Create(path);
        Write(f, t);
    }

    /// <summary>Writes <paramref name="t"/> to a stream.</summary>
    public static void Write(Stream s, HostTensor t)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(t);
        var shape = t.Shape.Length == 1 ? $"({t.Shape[0]},)" : $"({string.Join(", ", t.Shape)})";
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        // Header length padded so data starts on a 64-byte boundary, ending in '\n'.
        int total = Magic.Length + 2 + 2 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        s.Write(Magic);
        s.WriteByte(1); s.WriteByte(0);
        s.WriteByte((byte)(header.Length & 0xff)); s.WriteByte((byte)(header.Length >> 8));
        s.Write(Encoding.ASCII.GetBytes(header));
        var bytes = new byte[t.Data.Length * 4];
        Buffer.BlockCopy(t.Data, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
        s.Write(bytes);
    }

    /// <summary>Reads an .npy file into floats; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static HostTensor Read(string path)
    {
        var bytes = IO.UntrustedFile.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a .npy file");
        int major = bytes[6];
        long headerLen, start;
        if (major == 1) { headerLen = bytes[8] | bytes[9] << 8; start = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLen = BitConverter.ToUInt32(bytes, 8); start = 12; }
        else throw new InvalidDataException($"{path}: .npy format version {major} is not supported");
        if (start + headerLen > bytes.Length) throw new InvalidDataException($"{path}: header length {headerLen} runs past the end of the file");
        var header = Encoding.ASCII.GetString(bytes, (int)start, (int)headerLen);
        // The store's strict dict parser: no negative or overflowing dims reach the arithmetic below.
        var fields = Store.NpyHeaderParser.Parse(header, path);
        var descr = fields.Descr;
        if (fields.FortranOrder) throw new InvalidDataException($"{path}: Fortran-order arrays are not supported");
        var shapeText = string.Join(", ", fields.Shape);
        long n;
        try { n = fields.Shape.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { throw new InvalidDataException($"{path}: shape ({shapeText}) overflows 64 bits"); }
        if (n > Array.MaxLength || fields.Shape.Any(d => d > int.MaxValue))
            throw new InvalidDataException($"{path}: shape ({shapeText}) exceeds what one array holds ({Array.MaxLength} elements)");
        var shape = fields.Shape.Select(d => (int)d).ToArray();
        var data = new float[n];
        var body = bytes.AsSpan((int)(start + headerLen));
        int size = descr.Length >= 3 && int.TryParse(descr[2..], out var sz) ? sz : 0;
        if (descr.Length < 3 || descr[0] == '>' || body.Length / Math.Max(size, 1) < n)
            throw new InvalidDataException($"{path}: dtype '{descr}' with {body.Length} data bytes does not hold shape ({shapeText})");
        for (long i = 0; i < n; i++)
        {
            var e = body.Slice((int)(i * size), size);
            data[i] = descr[1..] switch
            {
                "f4" => BitConverter.ToSingle(e),
                "f8" => (float)BitConverter.ToDouble(e),
                "f2" => (float)BitConverter.ToHalf(e),
                "i8" => BitConverter.ToInt64(e),
                "i4" => BitConverter.ToInt32(e),
                "u1" => e[0],
                "i1" => (sbyte)e[0],
                _ => throw new InvalidDataException($"{path}: dtype '{descr}' is not supported"),
            };
        }
        return new HostTensor(data, shape);
    }
}
