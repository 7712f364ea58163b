// Reads ground truth for `gpusearch eval`: a CSV of (query, relevant item) pairs, matched by file name so
// the same truth works wherever the images live. A query may list several relevant items (several rows);
// a query with no rows is a distractor (it should match nothing).
namespace GpuSearch.Evaluation;

/// <summary>Relevant items per query, keyed by file name.</summary>
public sealed class GroundTruth
{
    private readonly Dictionary<string, HashSet<string>> _relevant = new(StringComparer.Ordinal);

    /// <summary>Relevant item file names for a query file name (empty set when none).</summary>
    public IReadOnlySet<string> For(string queryPath) =>
        _relevant.TryGetValue(Key(queryPath), out var s) ? s : new HashSet<string>();

    /// <summary>Queries that have at least one relevant item.</summary>
    public int QueryCount => _relevant.Count;

    /// <summary>The key a path is matched by: its file name.</summary>
    public static string Key(string path) => Path.GetFileName(path.Trim());

    /// <summary>
    /// Parses lines <c>query,relevant</c>. A first line starting with <c>query</c> is a header; blank lines and
    /// lines starting with '#' are skipped. Errors name the file and line.
    /// </summary>
    public static GroundTruth Parse(IEnumerable<string> lines, string name)
    {
        var gt = new GroundTruth();
        int n = 0;
        foreach (var raw in lines)
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split(',');
            if (n == 1 && parts[0].Trim().Equals("query", StringComparison.OrdinalIgnoreCase)) continue;
            if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
                throw new FormatException($"{name}:{n}: expected 'query,relevant', got '{line}'");
            var q = Key(parts[0]);
            if (!gt._relevant.TryGetValue(q, out var set)) gt._relevant[q] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(Key(parts[1]));
        }
        return gt;
    }

    /// <summary>Reads a truth file.</summary>
    public static GroundTruth Load(string path) => Parse(File.ReadLines(path), path);
}
