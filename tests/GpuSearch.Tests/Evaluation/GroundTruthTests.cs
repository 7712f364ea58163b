// Truth rows are matched on paths relative to the query and gallery roots (or full paths), never on bare file
// names: two images called the same in different folders are different items. Rows that match nothing are
// counted, and a truth file that names none of the queries is an error rather than all-zero metrics.
using GpuSearch.Evaluation;

namespace GpuSearch.Tests.Evaluation;

public class GroundTruthTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "gt-tests");
    private static string Q(string rel) => Path.Combine(Root, "queries", rel);
    private static string G(string rel) => Path.Combine(Root, "gallery", rel);
    private static readonly string[] Gallery = [G("cats/a.jpg"), G("dogs/a.jpg"), G("dogs/b.jpg")];

    private static ResolvedTruth Resolve(params string[] lines) =>
        GroundTruth.Parse(["query,relevant", .. lines], "truth.csv")
            .Resolve([Path.Combine(Root, "queries")], [Q("x.jpg"), Q("sub/y.jpg")], GroundTruth.CommonRoot(Gallery), Gallery);

    [Fact]
    public void SameFileNameInTwoFoldersIsTwoItems()
    {
        var t = Resolve("x.jpg,dogs/a.jpg");
        Assert.Equal([G("dogs/a.jpg")], t.For(Q("x.jpg")));
        // The metric sees a hit on cats/a.jpg as wrong.
        var r = new QueryResult(Q("x.jpg"), [(G("cats/a.jpg"), 0.9), (G("dogs/a.jpg"), 0.8)], t.For(Q("x.jpg")));
        Assert.Equal(2, PerQueryReport.Row(r).FirstRelevantRank);
        Assert.Equal(0.5, PerQueryReport.Row(r).AveragePrecision, 12);
    }

    [Fact]
    public void GalleryRootIsTheDeepestCommonFolder()
    {
        Assert.Equal(Path.Combine(Root, "gallery"), GroundTruth.CommonRoot(Gallery));
        Assert.Equal(Path.Combine(Root, "gallery", "dogs"), GroundTruth.CommonRoot([G("dogs/a.jpg"), G("dogs/b.jpg")]));
    }

    [Fact]
    public void RelativeQueryPathsAbsolutePathsAndDotSlashMatch()
    {
        var t = Resolve("sub/y.jpg,./dogs/b.jpg", $"{Q("x.jpg")},{G("cats/a.jpg")}");
        Assert.Equal([G("dogs/b.jpg")], t.For(Q("sub/y.jpg")));
        Assert.Equal([G("cats/a.jpg")], t.For(Q("x.jpg")));
        Assert.Empty(t.UnmatchedQueryLines);
        Assert.Empty(t.UnmatchedItemLines);
    }

    [Fact]
    public void RowsMatchingNothingAreCountedByLine()
    {
        // y.jpg alone is not the query sub/y.jpg; a.jpg alone is not an item (it lives in cats/ and dogs/).
        var t = Resolve("x.jpg,dogs/b.jpg", "y.jpg,dogs/b.jpg", "x.jpg,a.jpg");
        Assert.Equal([3], t.UnmatchedQueryLines);
        Assert.Equal([4], t.UnmatchedItemLines);
        // The missing item stays relevant, so it costs recall instead of vanishing.
        Assert.Equal(2, t.For(Q("x.jpg")).Count);
    }

    [Fact]
    public void TruthNamingNoQueryIsAnError()
    {
        var e = Assert.Throws<InvalidDataException>(() => Resolve("nope.jpg,dogs/b.jpg"));
        Assert.Contains("truth.csv", e.Message);
        Assert.Contains("none of its 1 rows", e.Message);
    }

    [Fact]
    public void PerQueryCsvHasRankAndApAndQuotesPaths()
    {
        var file = Path.Combine(Path.GetTempPath(), $"perq-{Guid.NewGuid():N}.csv");
        try
        {
            PerQueryReport.Write(file, [
                PerQueryReport.Row(new QueryResult("/q/a,b.jpg", [("/g/1.jpg", 0.5), ("/g/2.jpg", 0.25)], new HashSet<string> { "/g/2.jpg", "/g/3.jpg" })),
                PerQueryReport.Row(new QueryResult("/q/c.jpg", [], new HashSet<string>())),
            ]);
            var lines = File.ReadAllLines(file);
            Assert.Equal("query,relevant,first_relevant_rank,ap,top_item,top_score", lines[0]);
            Assert.Equal("\"/q/a,b.jpg\",2,2,0.25,/g/1.jpg,0.5", lines[1]); // AP = (1/2) / 2 relevant
            Assert.Equal("/q/c.jpg,0,,0,,", lines[2]);
        }
        finally { File.Delete(file); }
    }
}
