// .npy headers with negative, huge or overflowing shapes are refused with InvalidDataException naming the
// file, by the knn matrix reader and the run-onnx tensor reader alike (both use the store's header parser).
using System.Text;
using GpuSearch.Models.Execution;
using GpuSearch.Search.Io;
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Trust;

public sealed class NpyShapeTests
{
    private static string Write(TempDir dir, string shape, int dataBytes = 64)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        var header = dict + new string(' ', 117 - dict.Length) + "\n";
        var bytes = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 }
            .Concat(Encoding.ASCII.GetBytes(header)).Concat(new byte[dataBytes]).ToArray();
        var path = Path.Combine(dir.Path, "bad.npy");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("(-5, 4)")]
    [InlineData("(4, -1)")]
    [InlineData("(1099511627776, 1099511627776)")]
    [InlineData("(4611686018427387904, 4)")]
    [InlineData("(99999999999999999999, 4)")]
    [InlineData("(3000000000, 1)")]
    public void The_knn_reader_refuses_bad_shapes_naming_the_file(string shape)
    {
        using var dir = new TempDir();
        var path = Write(dir, shape);
        var e = Assert.Throws<InvalidDataException>(() => NpyMatrixReader.Read(path));
        Assert.Contains("bad.npy", e.Message);
    }

    [Theory]
    [InlineData("(-5, 4)")]
    [InlineData("(1, 3, 1099511627776, 1099511627776)")]
    [InlineData("(4611686018427387904, 4)")]
    [InlineData("(3000000000,)")]
    public void The_run_onnx_reader_refuses_bad_shapes_naming_the_file(string shape)
    {
        using var dir = new TempDir();
        var path = Write(dir, shape);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains("bad.npy", e.Message);
    }

    [Fact]
    public void A_good_matrix_still_reads()
    {
        using var dir = new TempDir();
        var m = NpyMatrixReader.Read(Write(dir, "(4, 4)"));
        Assert.Equal((4, 4, 16), (m.Rows, m.Cols, m.Data.Length));
        Assert.Equal([4, 4], Npy.Read(Write(dir, "(4, 4)")).Shape);
    }
}
