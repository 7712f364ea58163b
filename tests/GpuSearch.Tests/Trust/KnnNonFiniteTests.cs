// `gpusearch knn` with NaN/Inf rows: refused naming file and row (a NaN base row used to rank first at
// distance 0, a NaN query to return null scores), or dropped with --skip-nonfinite, ids unchanged.
using System.Text.Json;
using GpuSearch.Cli.Commands;
using GpuSearch.Models.Execution;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Search;

namespace GpuSearch.Tests.Trust;

[Trait("Backend", "OpenCL")]
public sealed class KnnNonFiniteTests
{
    private const float N = float.NaN, I = float.PositiveInfinity;

    private static (string Base, string Queries) Files(TempDir dir)
    {
        var b = Path.Combine(dir.Path, "base.npy");
        var q = Path.Combine(dir.Path, "q.npy");
        Npy.Write(b, new HostTensor([1, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, N, 0, 0, /**/ 0, 0, 1, 0, /**/ I, 0, 0, 0, /**/ 0, 0, 0, 5], [6, 4]));
        Npy.Write(q, new HostTensor([0, 0, 0, 1, /**/ N, 0, 0, 0, /**/ 0, 0, 1, 0], [3, 4]));
        return (b, q);
    }

    private static KnnOptions Opts(string b, string q, string outFile, bool skip = false) =>
        new(b, q, 2, "ip", "fp32", "cpu", null, 1000, outFile, true, skip);

    [Fact]
    public void A_non_finite_base_row_is_refused_naming_file_and_row()
    {
        using var dir = new TempDir();
        var (b, q) = Files(dir);
        var e = Assert.Throws<InvalidDataException>(() => KnnCommand.Run(Opts(b, q, Path.Combine(dir.Path, "r.npz")), TextWriter.Null));
        Assert.Contains("base.npy: row 2 holds NaN or infinity", e.Message);
        Assert.Contains("2, 4", e.Message);
        Assert.Contains("--skip-nonfinite", e.Message);
    }

    [Fact]
    public void A_non_finite_query_row_is_refused_naming_file_and_row()
    {
        using var dir = new TempDir();
        var (_, q) = Files(dir);
        var good = Path.Combine(dir.Path, "good.npy");
        Npy.Write(good, new HostTensor([1, 0, 0, 0, 0, 1, 0, 0], [2, 4]));
        var e = Assert.Throws<InvalidDataException>(() => KnnCommand.Run(Opts(good, q, Path.Combine(dir.Path, "r.npz")), TextWriter.Null));
        Assert.Contains("q.npy: row 1 holds NaN or infinity", e.Message);
    }

    [Fact]
    public void Skip_nonfinite_drops_the_rows_keeps_base_ids_and_reports_counts()
    {
        using var dir = new TempDir();
        var (b, q) = Files(dir);
        var outFile = Path.Combine(dir.Path, "r.npz");
        var stdout = new StringWriter();
        Assert.Equal(0, KnnCommand.Run(Opts(b, q, outFile, skip: true), stdout));
        var summary = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.Equal(2, summary.GetProperty("skipped_base_rows").GetInt32());
        Assert.Equal([1], summary.GetProperty("skipped_query_rows").EnumerateArray().Select(x => x.GetInt32()));
        var (ids, _) = NpyTestIo.ReadNpzEntry<long>(outFile, "ids.npy");
        var (scores, _) = NpyTestIo.ReadNpzEntry<float>(outFile, "scores.npy");
        Assert.Equal(4, ids.Length); // 2 kept queries × k=2
        Assert.Equal(5, ids[0]);     // query 0 = e3 → base row 5 (score 5), by its original row number
        Assert.Equal(3, ids[2]);     // query 2 = e2 → base row 3
        Assert.DoesNotContain(2L, ids);
        Assert.DoesNotContain(4L, ids);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
    }
}
