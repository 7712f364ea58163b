// `--dba N [--dba-alpha A] [--dba-shortlist K]` on query and eval is refused at parse time, like every usage error
// (exit 2, one error line, nothing created): N < 0, a shortlist < 1, an alpha that is not a finite number ≥ 0.
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Cli;

public sealed class DbaUsageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("--dba must be at least 0 (got -1)", "query", "{img}", "--db", "{db}", "--dba", "-1")]
    [InlineData("--dba must be at least 0 (got -2)", "eval", "--db", "{db}", "--queries", "{img}", "--truth", "{img}", "--dba", "-2")]
    [InlineData("--dba-shortlist must be at least 1 (got 0)", "query", "{img}", "--db", "{db}", "--dba", "1", "--dba-shortlist", "0")]
    [InlineData("--dba-alpha must be a finite number ≥ 0 (got -1)", "query", "{img}", "--db", "{db}", "--dba", "1", "--dba-alpha", "-1")]
    [InlineData("--dba-alpha must be a finite number ≥ 0 (got NaN)", "eval", "--db", "{db}", "--queries", "{img}", "--truth", "{img}", "--dba", "1", "--dba-alpha", "NaN")]
    public void Bad_dba_exits_two_with_one_line_and_no_side_effect(string expected, params string[] args)
    {
        var img = Path.Combine(_dir.Path, "photo.jpg");
        File.WriteAllBytes(img, [0xFF, 0xD8, 0xFF]);
        var db = Path.Combine(_dir.Path, "db");
        var argv = args.Select(a => a.Replace("{img}", img).Replace("{db}", db)).ToArray();

        UsageErrorTests.AssertRefused(_dir.Path, argv, expected, db);
    }
}
