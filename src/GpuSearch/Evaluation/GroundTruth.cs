// Reads ground truth for `gpusearch eval`: a CSV of (query, relevant item) pairs. Entries are paths relative to
// the query root (the folder given with --queries, or a list file's folder) and the gallery root (the deepest
// folder holding every indexed image), or absolute paths; so the same truth works wherever the set is copied,
// and two images with the same file name in different folders are never confused. A query may list several
// relevant items (several rows); a query with no rows is a distractor (it should match nothing).
namespace GpuSearch.Evaluation;

/// <summary>Ground-truth rows as written (normalised), before they are matched against real files.</summary>
internal sealed class GroundTruth
{
    private readonly List<(string Query, string Relevant, int Line)> _rows = [];

    /// <summary>The rows: query entry, relevant entry, line number.</summary>
    public IReadOnlyList<(string Query, string Relevant, int Line)> Rows => _rows;

    /// <summary>The source file name (for messages).</summary>
    public string Name { get; private init; } = "";

    /// <summary>An entry as compared: trimmed, '/' separators, no leading "./".</summary>
    public static string Normalize(string entry)
    {
        var e = entry.Trim().Replace('\\', '/');
        while (e.StartsWith("./", StringComparison.Ordinal)) e = e[2..];
        return e;
    }

    /// <summary>
    /// Parses lines <c>query,relevant</c>. A first line starting with <c>query</c> is a header; blank lines and
    /// lines starting with '#' are skipped. Errors name the file and line.
    /// </summary>
    public static GroundTruth Parse(IEnumerable<string> lines, string name)
    {
        var gt = new GroundTruth { Name = name };
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
            gt._rows.Add((Normalize(parts[0]), Normalize(parts[1]), n));
        }
        return gt;
    }

    /// <summary>Reads a truth file.</summary>
    public static GroundTruth Load(string path) => Parse(File.ReadLines(path), path);

    /// <summary>
    /// Matches the rows against the queries that were run and the indexed images. A relative query entry is
    /// looked up under each query root in turn, a relative item entry under <paramref name="galleryRoot"/>; an
    /// absolute entry must equal the full path.
    /// </summary>
    /// <exception cref="InvalidDataException">No row names any of the queries (nothing would be measured).</exception>
    public ResolvedTruth Resolve(IReadOnlyList<string> queryRoots, IEnumerable<string> queryPaths, string galleryRoot, IEnumerable<string> galleryPaths)
    {
        var queries = queryPaths.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        var gallery = galleryPaths.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        var relevant = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var unmatchedQueries = new List<int>();
        var unmatchedItems = new List<int>();
        foreach (var (q, item, line) in _rows)
        {
            var query = Find(q, queryRoots, queries);
            if (query is null) { unmatchedQueries.Add(line); continue; }
            if (!relevant.TryGetValue(query, out var set)) relevant[query] = set = new HashSet<string>(StringComparer.Ordinal);
            var found = Find(item, [galleryRoot], gallery);
            if (found is null) unmatchedItems.Add(line);
            // An item that is not indexed stays relevant (by its would-be path): missing it still costs recall.
            set.Add(found ?? Path.GetFullPath(Path.Combine(galleryRoot, item)));
        }
        if (_rows.Count > 0 && relevant.Count == 0)
            throw new InvalidDataException($"{Name}: none of its {_rows.Count} rows names a query that was run (entries are paths relative to the query folder, e.g. '{_rows[0].Query}' under {string.Join(" or ", queryRoots)})");
        return new ResolvedTruth(relevant, unmatchedQueries, unmatchedItems);
    }

    private static string? Find(string entry, IReadOnlyList<string> roots, HashSet<string> existing)
    {
        if (Path.IsPathRooted(entry)) { var full = Path.GetFullPath(entry); return existing.Contains(full) ? full : null; }
        foreach (var root in roots)
        {
            var full = Path.GetFullPath(Path.Combine(root, entry));
            if (existing.Contains(full)) return full;
        }
        return null;
    }

    /// <summary>The deepest folder that holds every path (the gallery root); a single file's own folder.</summary>
    public static string CommonRoot(IEnumerable<string> paths)
    {
        string[]? common = null;
        foreach (var p in paths)
        {
            var dirs = Path.GetDirectoryName(Path.GetFullPath(p))!.Split(Path.DirectorySeparatorChar);
            if (common is null) { common = dirs; continue; }
            int n = 0;
            while (n < common.Length && n < dirs.Length && common[n] == dirs[n]) n++;
            common = common[..n];
        }
        if (common is null) return Path.GetFullPath(".");
        var joined = string.Join(Path.DirectorySeparatorChar, common);
        return joined.Length == 0 ? Path.DirectorySeparatorChar.ToString() : joined;
    }

    /// <summary>The roots relative query entries are resolved against: each folder input, and each file or list file's folder.</summary>
    public static IReadOnlyList<string> QueryRoots(IEnumerable<string> inputs) =>
        inputs.Select(i => Directory.Exists(i) ? Path.GetFullPath(i) : Path.GetDirectoryName(Path.GetFullPath(i))!).Distinct(StringComparer.Ordinal).ToArray();
}

/// <summary>Ground truth matched against real files.</summary>
/// <param name="Relevant">Relevant items (full paths) per query (full path).</param>
/// <param name="UnmatchedQueryLines">Lines whose query entry names no query that was run.</param>
/// <param name="UnmatchedItemLines">Lines whose relevant entry names no indexed image.</param>
internal sealed record ResolvedTruth(IReadOnlyDictionary<string, HashSet<string>> Relevant, IReadOnlyList<int> UnmatchedQueryLines, IReadOnlyList<int> UnmatchedItemLines)
{
    private static readonly HashSet<string> None = [];

    /// <summary>Relevant items of a query (full path); empty for a distractor.</summary>
    public IReadOnlySet<string> For(string queryPath) => Relevant.TryGetValue(Path.GetFullPath(queryPath), out var s) ? s : None;
}
