// Every malformed-header case the reader must refuse with an InvalidDataException that names the
// file and says what is wrong. Files are built byte by byte so each defect is isolated.
using System.Buffers.Binary;
using System.Text;
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public sealed class NpyMalformedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("npy-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Build(string dict, int dataBytes, byte major = 1, byte minor = 0, string magic = "NUMPY")
    {
        var ms = new MemoryStream();
        ms.WriteByte(0x93);
        ms.Write(Encoding.ASCII.GetBytes(magic));
        ms.WriteByte(major);
        ms.WriteByte(minor);
        var text = Encoding.Latin1.GetBytes(dict + "\n");
        Span<byte> len = stackalloc byte[4];
        if (major == 1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)text.Length); ms.Write(len[..2]); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)text.Length); ms.Write(len); }
        ms.Write(text);
        ms.Write(new byte[dataBytes]);
        return ms.ToArray();
    }

    private string Save(string name, byte[] bytes)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private const string Ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    [Fact]
    public void Well_formed_control_case_reads()
    {
        var a = NpyFile.Read(Save("ok.npy", Build(Ok, 24)));
        Assert.Equal([2L, 3L], a.Shape);
        // Key order, quotes and spacing vary between writers; all are the same dict.
        a = NpyFile.Read(Save("ok2.npy", Build("{\"shape\":(6,),\"fortran_order\":False,\"descr\":\"<f4\"}", 24)));
        Assert.Equal([6L], a.Shape);
    }

    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "empty.npy", [], "not a .npy file" },
        { "magic.npy", Build(Ok, 24, magic: "NUMPX"), "magic" },
        { "version4.npy", Build(Ok, 24, major: 4), "version 4.0" },
        { "version11.npy", Build(Ok, 24, minor: 1), "version 1.1" },
        { "fortran.npy", Build("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24), "fortran_order is True" },
        { "bigendian.npy", Build("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24), "big-endian" },
        { "object.npy", Build("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16), "object" },
        { "f8.npy", Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16), "not supported" },
        { "struct.npy", Build("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8), "quoted string" },
        { "pipe_f4.npy", Build("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", 8), "no byte order" },
        { "scalar.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4), "0 dimensions" },
        { "threed.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", 24), "3 dimensions" },
        { "truncated.npy", Build(Ok, 23), "truncated" },
        { "trailing.npy", Build(Ok, 25), "trailing bytes" },
        { "nodescr.npy", Build("{'fortran_order': False, 'shape': (2, 3), }", 24), "no 'descr'" },
        { "noshape.npy", Build("{'descr': '<f4', 'fortran_order': False, }", 24), "no 'shape'" },
        { "noorder.npy", Build("{'descr': '<f4', 'shape': (2, 3), }", 24), "no 'fortran_order'" },
        { "extrakey.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", 24), "unexpected key 'x'" },
        { "unterminated.npy", Build("{'descr': '<f4", 24), "unterminated string" },
        { "misquoted.npy", Build("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", 24), "expected '}'" },
        { "negshape.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24), "non-negative integer" },
        { "bool.npy", Build("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 24), "True or False" },
        { "after.npy", Build(Ok + " x", 24), "after the closing" },
        { "nobrace.npy", Build("'descr': '<f4'", 24), "expected '{'" },
        { "overflow.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 0), "overflows" },
        { "huge.npy", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4), }", 0), "64 bits" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_file_is_refused_naming_file_and_defect(string name, byte[] bytes, string why)
    {
        var path = Save(name, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(path));
        Assert.Contains(name, ex.Message);
        Assert.Contains(why, ex.Message);
    }

    [Fact]
    public void Header_length_past_end_of_file_is_refused()
    {
        var bytes = Build(Ok, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 5000);
        var path = Save("longheader.npy", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(path));
        Assert.Contains("runs past the end", ex.Message);
    }
}
