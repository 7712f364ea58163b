// `--stretch N[:FACTOR]` on query and eval is refused at parse time, like every usage error (exit 2, one error line,
// nothing created): without --background, with N < 1 or not a number, with a FACTOR that is not a finite number > 0.
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Cli;

public sealed class StretchUsageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("--stretch needs --background", "query", "{img}", "--db", "{db}", "--stretch", "10")]
    [InlineData("--stretch needs --background", "eval", "--db", "{db}", "--queries", "{img}", "--truth", "{img}", "--stretch", "10:2")]
    [InlineData("N an integer ≥ 1 (got '0')", "query", "{img}", "--db", "{db}", "--background", "{bg}", "--stretch", "0")]
    [InlineData("N an integer ≥ 1 (got 'x')", "eval", "--db", "{db}", "--queries", "{img}", "--truth", "{img}", "--background", "{bg}", "--stretch", "x")]
    [InlineData("FACTOR must be a finite number > 0 (got '5:-1')", "query", "{img}", "--db", "{db}", "--background", "{bg}", "--stretch", "5:-1")]
    [InlineData("FACTOR must be a finite number > 0 (got '5:NaN')", "query", "{img}", "--db", "{db}", "--background", "{bg}", "--stretch", "5:NaN")]
    [InlineData("N an integer ≥ 1 (got '5:1:2')", "query", "{img}", "--db", "{db}", "--background", "{bg}", "--stretch", "5:1:2")]
    public void Bad_stretch_exits_two_with_one_line_and_no_side_effect(string expected, params string[] args)
    {
        var img = Path.Combine(_dir.Path, "photo.jpg");
        File.WriteAllBytes(img, [0xFF, 0xD8, 0xFF]);
        string db = Path.Combine(_dir.Path, "db"), bg = Path.Combine(_dir.Path, "bg");
        var argv = args.Select(a => a.Replace("{img}", img).Replace("{db}", db).Replace("{bg}", bg)).ToArray();

        UsageErrorTests.AssertRefused(_dir.Path, argv, expected, db, bg);
    }
}
