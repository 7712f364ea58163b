// Write-then-read round trips for every dtype and for the streaming row reader.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public sealed class NpyRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("npy-rt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void RoundTrip<T>(T[] data, params long[] shape) where T : unmanaged
    {
        var path = Path.Combine(_dir, $"{typeof(T).Name}.npy");
        NpyFile.Write<T>(path, data, shape);
        var h = NpyFile.ReadHeader(path);
        Assert.Equal(0, h.DataOffset % 64);
        var a = NpyFile.Read(path);
        Assert.Equal(NpyDTypes.Of<T>(), a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data, a.AsSpan<T>().ToArray());
    }

    [Fact]
    public void Every_dtype_round_trips()
    {
        RoundTrip(new[] { 1.5f, -2f, float.MaxValue, float.Epsilon, 0f, 3f }, 2, 3);
        RoundTrip(new[] { (Half)1.5f, (Half)(-2f), Half.MaxValue, (Half)0f }, 4);
        RoundTrip(new[] { long.MinValue, long.MaxValue, 0L, 7L }, 2, 2);
        RoundTrip(new[] { int.MinValue, 5 }, 1, 2);
        RoundTrip(new sbyte[] { -128, 127, 0 }, 3, 1);
        RoundTrip(new byte[] { 0, 255 }, 2);
    }

    [Fact]
    public void Shape_that_does_not_fit_the_data_is_rejected_on_write()
    {
        Assert.Throws<ArgumentException>(() => NpyFile.Write<float>(Path.Combine(_dir, "x.npy"), new float[5], 2, 3));
    }

    [Fact]
    public void Wrong_typed_view_is_refused()
    {
        var a = NpyArray.Create<float>(new float[4], 2, 2);
        Assert.Throws<InvalidOperationException>(() => a.AsSpan<Half>().Length);
    }

    [Fact]
    public void Row_reader_streams_in_chunks_and_seeks()
    {
        const int rows = 1000, cols = 7;
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.5f;
        var path = Path.Combine(_dir, "big.npy");
        NpyFile.Write<float>(path, data, rows, cols);
        using var r = NpyRowReader.Open(path);
        var buf = new float[64 * cols];
        var all = new List<float>();
        int n;
        while ((n = r.ReadRows<float>(buf)) > 0) all.AddRange(buf.AsSpan(0, n * cols).ToArray());
        Assert.Equal(data, all);
        r.Seek(998);
        Assert.Equal(2, r.ReadRows<float>(buf));
        Assert.Equal(998 * cols * 0.5f, buf[0]);
    }

    [Fact]
    public void Row_writer_streams_rows_and_publishes_only_on_complete()
    {
        var path = Path.Combine(_dir, "stream.npy");
        using (var w = new NpyRowWriter(path, NpyDType.Float32, 3))
        {
            w.WriteRows<float>([1, 2, 3]);
            w.WriteRows<float>([4, 5, 6, 7, 8, 9]);
            Assert.Throws<ArgumentException>(() => w.WriteRows<float>([1, 2]));
            Assert.Throws<ArgumentException>(() => w.WriteRows<int>([1, 2, 3]));
            Assert.False(File.Exists(path));
            w.Complete();
        }
        var a = NpyFile.Read(path);
        Assert.Equal([3L, 3L], a.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9], a.AsSpan<float>().ToArray());
        // Abandoned writers leave nothing behind.
        using (var w = new NpyRowWriter(Path.Combine(_dir, "gone.npy"), NpyDType.Int64, 2)) w.WriteRows<long>([1, 2]);
        Assert.Empty(Directory.EnumerateFiles(_dir, "gone*"));
    }

    [Fact]
    public void Row_reader_converts_half_to_float()
    {
        var path = Path.Combine(_dir, "h.npy");
        NpyFile.Write<Half>(path, new[] { (Half)1, (Half)2, (Half)3, (Half)4 }, 2, 2);
        using var r = NpyRowReader.Open(path);
        var dst = new float[4];
        Assert.Equal(2, r.ReadRowsAsFloat32(dst, 10));
        Assert.Equal([1f, 2f, 3f, 4f], dst);
    }
}
