// Reads and writes the .npy preamble: magic "\x93NUMPY", version byte pair, header length
// (uint16 for 1.0, uint32 for 2.0/3.0) and the dict literal padded with spaces to an aligned size
// and terminated by '\n'. Everything after the preamble is raw C-order element data.
using System.Buffers.Binary;
using System.Text;

namespace GpuSearch.Store;

/// <summary>Parsed .npy header: dtype, shape, and where the element data starts.</summary>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions (1-D or 2-D).</param>
/// <param name="DataOffset">Byte offset of the first element.</param>
/// <param name="Version">Format major version (1, 2 or 3).</param>
internal sealed record NpyHeader(NpyDType DType, long[] Shape, long DataOffset, int Version)
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>First dimension: rows of a 2-D array, elements of a 1-D array.</summary>
    public long Rows => Shape[0];

    /// <summary>Second dimension of a 2-D array; 1 for a 1-D array.</summary>
    public long Columns => Shape.Length == 2 ? Shape[1] : 1;

    /// <summary>Bytes of element data the shape implies.</summary>
    public long DataLength => checked(ElementCount * DType.ItemSize());

    /// <summary>
    /// Reads the preamble from <paramref name="s"/> (positioned at the start of the file), leaving it
    /// positioned at the first element. <paramref name="fileLength"/>, when known, must match exactly.
    /// </summary>
    /// <exception cref="InvalidDataException">Anything wrong with the header, naming <paramref name="file"/>.</exception>
    public static NpyHeader Read(Stream s, string file, long? fileLength)
    {
        Span<byte> pre = stackalloc byte[12];
        int got = ReadFully(s, pre[..10]);
        if (got < 10 || !pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{file}: not a .npy file (missing the \\x93NUMPY magic)");
        int major = pre[6], minor = pre[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException($"{file}: unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)");
        long headerLen;
        int preLen;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]); preLen = 10; }
        else
        {
            if (ReadFully(s, pre[10..12]) < 2) throw new InvalidDataException($"{file}: truncated .npy preamble");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(pre[8..12]); preLen = 12;
        }
        if (fileLength is { } fl && preLen + headerLen > fl)
            throw new InvalidDataException($"{file}: header length {headerLen} runs past the end of the file ({fl} bytes)");
        if (headerLen > 1 << 20) throw new InvalidDataException($"{file}: header length {headerLen} is implausibly large");
        var raw = new byte[headerLen];
        if (ReadFully(s, raw) < headerLen) throw new InvalidDataException($"{file}: truncated .npy header");
        // 1.0/2.0 headers are latin-1; 3.0 exists only to allow UTF-8.
        string text = major == 3 ? Encoding.UTF8.GetString(raw) : Encoding.Latin1.GetString(raw);
        var f = NpyHeaderParser.Parse(text, file);
        if (f.FortranOrder)
            throw new InvalidDataException($"{file}: fortran_order is True; only C-order arrays are read (save np.ascontiguousarray(a))");
        var dtype = NpyDTypes.Parse(f.Descr, file);
        if (f.Shape.Length is < 1 or > 2)
            throw new InvalidDataException($"{file}: shape ({string.Join(", ", f.Shape)}) has {f.Shape.Length} dimensions; only 1-D and 2-D arrays are read");
        var h = new NpyHeader(dtype, f.Shape, preLen + headerLen, major);
        long dataLen;
        try { dataLen = h.DataLength; }
        catch (OverflowException) { throw new InvalidDataException($"{file}: shape {h.ShapeText} overflows 64 bits"); }
        if (fileLength is { } len && h.DataOffset + dataLen != len)
            throw new InvalidDataException(
                $"{file}: shape {h.ShapeText} of {f.Descr} needs {dataLen} data bytes after the {h.DataOffset}-byte header, " +
                $"but the file holds {len - h.DataOffset} ({(len - h.DataOffset < dataLen ? "truncated" : "trailing bytes")})");
        return h;
    }

    /// <summary>Shape as Python writes it, e.g. <c>(3, 4)</c> or <c>(5,)</c>.</summary>
    public string ShapeText => Shape.Length == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";

    /// <summary>
    /// Encodes a version 1.0 preamble (version 2.0 only if the dict would not fit in 64 KiB).
    /// The total is padded to a multiple of 64 bytes and to at least <paramref name="minTotalLength"/>,
    /// which lets the store rewrite a growing segment's row count in place without moving data.
    /// </summary>
    public static byte[] Encode(NpyDType dtype, ReadOnlySpan<long> shape, int minTotalLength = 0)
    {
        if (shape.Length is < 1 or > 2) throw new ArgumentException("only 1-D and 2-D shapes are written", nameof(shape));
        foreach (var d in shape) ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({shape[0]}, {shape[1]})";
        string dict = $"{{'descr': '{dtype.Descr()}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int preLen = dict.Length + 1 + 10 > ushort.MaxValue ? 12 : 10;
        int total = Math.Max(minTotalLength, preLen + dict.Length + 1);
        total = (total + 63) / 64 * 64;
        var buf = new byte[total];
        Magic.CopyTo(buf);
        buf[6] = (byte)(preLen == 10 ? 1 : 2);
        buf[7] = 0;
        int headerLen = total - preLen;
        if (preLen == 10) BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(8), (ushort)headerLen);
        else BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(8), (uint)headerLen);
        buf.AsSpan(preLen).Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, buf.AsSpan(preLen));
        buf[^1] = (byte)'\n';
        return buf;
    }

    private static int ReadFully(Stream s, Span<byte> dst)
    {
        int total = 0;
        while (total < dst.Length)
        {
            int n = s.Read(dst[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
