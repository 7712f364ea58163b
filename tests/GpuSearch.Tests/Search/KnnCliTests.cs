// `gpusearch knn` run in-process: equals FAISS IndexFlatIP/IndexFlatL2 on the committed fixture
// (tools/make_knn_fixtures.py), permutations allowed only among equal scores; output formats; and
// clear errors naming the file for wrong dtype, shape and dimension mismatches.
using GpuSearch.Cli.Commands;
using GpuSearch.Search;
using GpuSearch.Search.Io;

namespace GpuSearch.Tests.Search;

[Collection("search")]
public class KnnCliTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("knn-cli-").FullName;
    private static string Fx(string name) => Path.Combine(NpyTestIo.FixtureDir, name);

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private KnnOptions Opts(string metric, int k, string outName, string baseFile = "base.npy", string dtype = "fp32") =>
        new(Fx(baseFile), Fx("queries.npy"), k, metric, dtype, "cpu", null, 1000, Path.Combine(_tmp, outName), true);

    [Theory]
    [InlineData("ip")]
    [InlineData("l2")]
    public void Knn_EqualsFaiss(string metric)
    {
        const int k = 50, nq = 20;
        var o = Opts(metric, k, $"r-{metric}.npz");
        var stdout = new StringWriter();
        Assert.Equal(0, KnnCommand.Run(o, stdout));
        Assert.Contains("\"results\":1000", stdout.ToString());
        var (ids, idDescr) = NpyTestIo.ReadNpzEntry<long>(o.Out, "ids.npy");
        var (scores, scDescr) = NpyTestIo.ReadNpzEntry<float>(o.Out, "scores.npy");
        Assert.Equal("<i8", idDescr);
        Assert.Equal("<f4", scDescr);
        var fIds = NpyTestIo.ReadFile<long>(Fx($"faiss_{metric}_k{k}_ids.npy"));
        var fScores = NpyTestIo.ReadFile<float>(Fx($"faiss_{metric}_k{k}_scores.npy"));
        // FAISS sums in a different order (BLAS), so scores agree to a few ulps of the largest score and ids
        // may differ only among (near-)equal scores; the fixture's duplicated rows make exact ties common.
        KnnAssert.Permuted(fIds, fScores, ids, scores, nq, k, 1e-5f, $"knn vs FAISS {metric}");
    }

    [Fact]
    public void Knn_Fp16File_And_JsonOutput()
    {
        var o = Opts("cos", 5, "r.json", baseFile: "base_f16.npy", dtype: "fp16");
        Assert.Equal(0, KnnCommand.Run(o, new StringWriter()));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(o.Out));
        Assert.Equal(20, doc.RootElement.GetProperty("ids").GetArrayLength());
        Assert.Equal(5, doc.RootElement.GetProperty("ids")[0].GetArrayLength());
        // Same result as the library on the widened fp16 data.
        var db = NpyMatrixReader.Read(Fx("base_f16.npy"));
        var q = NpyMatrixReader.Read(Fx("queries.npy"));
        Assert.Equal("<f2", db.SourceDType);
        using var index = new FlatIndex(SearchData.Device, db.Cols, VectorStorage.Fp16);
        index.Add(db.Data, Enumerable.Range(0, db.Rows).Select(i => (long)i).ToArray());
        var r = index.Search(q.Data, 5, Metric.Cosine);
        Assert.Equal(r.Ids[0], doc.RootElement.GetProperty("ids")[0][0].GetInt64());
    }

    [Fact]
    public void Range_WritesLimsAndDropped()
    {
        var o = Opts("ip", 1, "range.npz") with { Range = 3f, MaxHits = 4 };
        Assert.Equal(0, KnnCommand.Run(o, new StringWriter()));
        var (lims, _) = NpyTestIo.ReadNpzEntry<long>(o.Out, "lims.npy");
        var (dropped, _) = NpyTestIo.ReadNpzEntry<long>(o.Out, "dropped.npy");
        Assert.Equal(21, lims.Length);
        Assert.Equal(20, dropped.Length);
        Assert.All(Enumerable.Range(0, 20), q => Assert.InRange(lims[q + 1] - lims[q], 0, 4));
        Assert.Contains(dropped, x => x > 0);
    }

    [Fact]
    public void Errors_NameTheFile()
    {
        // float64 file
        var f64 = Path.Combine(_tmp, "f64.npy");
        WriteNpy(f64, "<f8", "(3, 24)", new byte[3 * 24 * 8]);
        var e1 = Assert.Throws<InvalidDataException>(() => KnnCommand.Run(Opts("ip", 1, "a.npz") with { Base = f64 }, TextWriter.Null));
        Assert.Contains("f64.npy", e1.Message);
        Assert.Contains("<f8", e1.Message);
        // 1-D file
        var oneD = Path.Combine(_tmp, "vec.npy");
        WriteNpy(oneD, "<f4", "(24,)", new byte[24 * 4]);
        var e2 = Assert.Throws<InvalidDataException>(() => KnnCommand.Run(Opts("ip", 1, "a.npz") with { Queries = oneD }, TextWriter.Null));
        Assert.Contains("vec.npy", e2.Message);
        // dimension mismatch
        var q16 = Path.Combine(_tmp, "q16.npy");
        WriteNpy(q16, "<f4", "(2, 16)", new byte[2 * 16 * 4]);
        var e3 = Assert.Throws<InvalidDataException>(() => KnnCommand.Run(Opts("ip", 1, "a.npz") with { Queries = q16 }, TextWriter.Null));
        Assert.Contains("q16.npy", e3.Message);
        Assert.Contains("base.npy", e3.Message);
        // truncated, Fortran order, not npy
        var trunc = Path.Combine(_tmp, "trunc.npy");
        WriteNpy(trunc, "<f4", "(10, 24)", new byte[100]);
        Assert.Contains("trunc.npy", Assert.Throws<InvalidDataException>(() => NpyMatrixReader.Read(trunc)).Message);
        var fortran = Path.Combine(_tmp, "fortran.npy");
        WriteNpy(fortran, "<f4", "(2, 24)", new byte[2 * 24 * 4], fortranOrder: true);
        Assert.Contains("fortran", Assert.Throws<InvalidDataException>(() => NpyMatrixReader.Read(fortran)).Message, StringComparison.OrdinalIgnoreCase);
        var junk = Path.Combine(_tmp, "junk.npy");
        File.WriteAllText(junk, "hello world, not numpy");
        Assert.Contains("junk.npy", Assert.Throws<InvalidDataException>(() => NpyMatrixReader.Read(junk)).Message);
        Assert.Throws<ArgumentException>(() => KnnCommand.Run(Opts("hamming", 1, "a.npz"), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => KnnCommand.Run(Opts("ip", 1, "a.csv"), TextWriter.Null));
    }

    private static void WriteNpy(string path, string descr, string shape, byte[] payload, bool fortranOrder = false)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shape}, }}";
        var header = dict.PadRight(118) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0]);
        f.Write(System.Text.Encoding.ASCII.GetBytes(header));
        f.Write(payload);
    }
}
