// `gpusearch eval --per-query FILE`: one row per query so users can see which queries miss (the rank of the
// first relevant item and the query's average precision), as CSV or JSON by the file's extension.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuSearch.Evaluation;

/// <summary>One query's outcome.</summary>
/// <param name="Query">Query path.</param>
/// <param name="Relevant">Number of relevant items (0 for a distractor).</param>
/// <param name="FirstRelevantRank">1-based rank of the first relevant item in the results, or null when none was retrieved.</param>
/// <param name="AveragePrecision">The query's average precision (see <see cref="RetrievalMetrics.AveragePrecision"/>).</param>
/// <param name="TopItem">The first result, or null when there was none.</param>
/// <param name="TopScore">Its score (NaN when none).</param>
internal sealed record PerQueryRow(string Query, int Relevant, int? FirstRelevantRank, double AveragePrecision, string? TopItem, double TopScore);

/// <summary>Builds and writes per-query rows.</summary>
internal static class PerQueryReport
{
    /// <summary>The row of one query result.</summary>
    public static PerQueryRow Row(QueryResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var items = r.Ranked.Select(x => x.Item).ToArray();
        int first = Array.FindIndex(items, r.Relevant.Contains);
        return new PerQueryRow(r.Query, r.Relevant.Count, first < 0 ? null : first + 1, RetrievalMetrics.AveragePrecision(items, r.Relevant),
            items.Length > 0 ? items[0] : null, r.Ranked.Count > 0 ? r.Ranked[0].Score : double.NaN);
    }

    /// <summary>Writes the rows to <paramref name="path"/>: JSON for <c>.json</c>, else CSV (header first; paths quoted when needed).</summary>
    public static void Write(string path, IEnumerable<PerQueryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            var doc = rows.Select(r => new
            {
                query = r.Query, relevant = r.Relevant, first_relevant_rank = r.FirstRelevantRank, ap = r.AveragePrecision,
                top_item = r.TopItem, top_score = double.IsNaN(r.TopScore) ? (double?)null : r.TopScore,
            });
            File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return;
        }
        var sb = new StringBuilder("query,relevant,first_relevant_rank,ap,top_item,top_score\n");
        foreach (var r in rows)
            sb.Append(Csv(r.Query)).Append(',').Append(r.Relevant.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(r.FirstRelevantRank?.ToString(CultureInfo.InvariantCulture) ?? "").Append(',')
              .Append(r.AveragePrecision.ToString("G6", CultureInfo.InvariantCulture)).Append(',')
              .Append(r.TopItem is null ? "" : Csv(r.TopItem)).Append(',')
              .Append(double.IsNaN(r.TopScore) ? "" : r.TopScore.ToString("G6", CultureInfo.InvariantCulture)).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
