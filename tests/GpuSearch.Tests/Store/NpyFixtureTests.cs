// The reader against files numpy itself wrote (tools/make_npy_fixtures.py), including the refusals.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class NpyFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "npy", name);

    // Same formula as the generator: value(r, c) = r * 10 + c * 0.25 - 3.
    private static float Grid(long r, long c) => r * 10 + c * 0.25f - 3;

    [Fact]
    public void Float32_2D_matches_numpy()
    {
        var a = NpyFile.Read(Fixture("f4_3x5.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([3L, 5L], a.Shape);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 5; c++) Assert.Equal(Grid(r, c), a.Row<float>(r)[c]);
    }

    [Fact]
    public void Float16_2D_matches_numpy()
    {
        var a = NpyFile.Read(Fixture("f2_4x3.npy"));
        Assert.Equal(NpyDType.Float16, a.DType);
        var f = a.ToFloat32();
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 3; c++) Assert.Equal(Grid(r, c), (float)a.Row<Half>(r)[c]);
        Assert.Equal(Grid(3, 2), f[11]);
    }

    [Fact]
    public void Integer_types_match_numpy()
    {
        var i8 = NpyFile.Read(Fixture("i8_1d_7.npy"));
        Assert.Equal([7L], i8.Shape);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (i - 3) * 1_000_000_007L), i8.AsSpan<long>().ToArray());
        var i4 = NpyFile.Read(Fixture("i4_2x4.npy"));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (i - 4) * 65537), i4.AsSpan<int>().ToArray());
        Assert.Equal([(sbyte)-128, (sbyte)-1, (sbyte)0, (sbyte)1, (sbyte)64, (sbyte)127], NpyFile.Read(Fixture("i1_2x3.npy")).AsSpan<sbyte>().ToArray());
        Assert.Equal([(byte)0, (byte)1, (byte)127, (byte)128, (byte)255], NpyFile.Read(Fixture("u1_1d_5.npy")).AsSpan<byte>().ToArray());
    }

    [Theory]
    [InlineData("f4_2x2_v2.npy", 2)]
    [InlineData("f4_2x2_v3.npy", 3)]
    public void Version_2_and_3_headers_are_read(string name, int version)
    {
        var h = NpyFile.ReadHeader(Fixture(name));
        Assert.Equal(version, h.Version);
        var a = NpyFile.Read(Fixture(name));
        Assert.Equal([Grid(0, 0), Grid(0, 1), Grid(1, 0), Grid(1, 1)], a.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Empty_array_is_read()
    {
        var a = NpyFile.Read(Fixture("f4_0x4.npy"));
        Assert.Equal([0L, 4L], a.Shape);
        Assert.Equal(0, a.AsSpan<float>().Length);
    }

    [Theory]
    [InlineData("bad_fortran_3x2.npy", "fortran_order")]
    [InlineData("bad_bigendian_2x2.npy", "big-endian")]
    [InlineData("bad_object.npy", "object")]
    [InlineData("bad_3d.npy", "3 dimensions")]
    [InlineData("bad_f8.npy", "not supported")]
    public void Numpy_files_we_do_not_read_are_refused_clearly(string name, string why)
    {
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(Fixture(name)));
        Assert.Contains(name, ex.Message);
        Assert.Contains(why, ex.Message);
    }

    [Fact]
    public void Written_file_has_the_same_header_bytes_as_numpy()
    {
        // numpy 1.24 pads to 64 bytes with the same dict text, so our header should be byte-identical.
        var a = NpyFile.Read(Fixture("f4_3x5.npy"));
        var path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            NpyFile.Write(path, a);
            Assert.Equal(File.ReadAllBytes(Fixture("f4_3x5.npy")), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Npz_written_here_reads_like_numpys()
    {
        var np = NpzWriter.ReadAll(Fixture("results_np.npz"));
        var path = Path.Combine(Path.GetTempPath(), $"npz-{Guid.NewGuid():N}.npz");
        try
        {
            NpzWriter.WriteResults(path, np["ids"].AsSpan<long>(), np["scores"].AsSpan<float>(), 2, 2);
            var ours = NpzWriter.ReadAll(path);
            Assert.Equal(["ids", "scores"], ours.Keys.Order());
            Assert.Equal(np["ids"].AsSpan<long>().ToArray(), ours["ids"].AsSpan<long>().ToArray());
            Assert.Equal(np["scores"].AsSpan<float>().ToArray(), ours["scores"].AsSpan<float>().ToArray());
            Assert.Equal([2L, 2L], ours["scores"].Shape);
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally { File.Delete(path); }
    }
}
