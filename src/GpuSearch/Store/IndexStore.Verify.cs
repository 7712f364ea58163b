// Verification and repair: checksums of sealed segments, lengths and headers of all segments,
// SQLite's own integrity check, and row-count consistency between catalog and files. Repair turns
// damaged segments into tombstones so a re-run re-embeds exactly the affected images.
namespace GpuSearch.Store;

/// <summary>What <see cref="IndexStore.Repair"/> did.</summary>
/// <param name="DroppedIds">Ids of items whose vectors were damaged and are now deleted.</param>
/// <param name="PathsToReAdd">Their paths: a re-run adds them again (with new ids).</param>
/// <param name="Compaction">The compaction that removed the damaged segments.</param>
public sealed record RepairResult(IReadOnlyList<long> DroppedIds, IReadOnlyList<string> PathsToReAdd, CompactionResult Compaction);

public sealed partial class IndexStore
{
    /// <summary>Checks the whole folder and reports what is damaged and what can be recovered. Never throws for damage.</summary>
    public VerifyReport Verify()
    {
        var issues = new List<VerifyIssue>();
        bool catalogOk = VerifyCatalog(issues);
        try
        {
            var segments = _catalog.Segments();
            foreach (var s in segments) VerifySegment(s, issues);
            var named = segments.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var f in Directory.EnumerateFiles(SegmentDir).Select(Path.GetFileName).Where(n => !named.Contains(n!)))
                issues.Add(new VerifyIssue(VerifySeverity.Info, f!, "file is not named by the catalog", "harmless; removed at the next open", [], []));
            return new VerifyReport(Folder, issues, _catalog.Count(liveOnly: true), segments.Count);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // The damaged pages hold items or segments: what we could not read is not verifiable.
            if (catalogOk) issues.Add(CatalogIssue($"SQLite error {e.SqliteErrorCode}: {e.Message}"));
            return new VerifyReport(Folder, issues, -1, 0);
        }
    }

    private static VerifyIssue CatalogIssue(string problem) => new(VerifySeverity.Error, "catalog", problem,
        "the catalog is damaged: back up the folder, then rebuild the index (segment vectors stay readable by numpy)", [], []);

    /// <summary>
    /// Verifies the folder whether or not its catalog can be opened: a catalog that SQLite cannot read
    /// is reported (with the segment files whose vectors are still readable) instead of thrown.
    /// </summary>
    public static VerifyReport VerifyFolder(string folder, ModelFingerprint? expectedFingerprint = null)
    {
        folder = Path.GetFullPath(folder);
        try
        {
            using var store = Open(folder, expectedFingerprint);
            return store.Verify();
        }
        catch (Exception e) when (e is StoreCorruptException or InvalidDataException or FileNotFoundException or Microsoft.Data.Sqlite.SqliteException)
        {
            var segDir = Path.Combine(folder, "segments");
            var readable = Directory.Exists(segDir)
                ? Directory.EnumerateFiles(segDir, "seg-*.npy").Order(StringComparer.Ordinal).Select(p =>
                {
                    try { return $"{Path.GetFileName(p)} ({NpyFile.ReadHeader(p).Rows} rows)"; }
                    catch (InvalidDataException) { return null; }
                }).OfType<string>().ToList()
                : [];
            var recovery = readable.Count == 0
                ? "no readable segment files; rebuild the index"
                : $"ids, paths and labels are lost; vectors remain readable by numpy in {string.Join(", ", readable)}. Rebuild the index from the images (re-running the add resumes nothing, it re-embeds all)";
            return new VerifyReport(folder, [new VerifyIssue(VerifySeverity.Error, "catalog", e.Message, recovery, [], [])], -1, 0);
        }
    }

    /// <summary>
    /// Deletes every live item whose vector Verify finds damaged and compacts the damaged segments
    /// away, leaving a healthy index. Re-adding <see cref="RepairResult.PathsToReAdd"/> restores them.
    /// </summary>
    /// <exception cref="StoreCorruptException">The catalog itself is damaged (repair cannot help).</exception>
    public RepairResult Repair()
    {
        var report = Verify();
        var catalogIssue = report.Issues.FirstOrDefault(i => i.Severity == VerifySeverity.Error && i.Subject == "catalog");
        if (catalogIssue is not null) throw new StoreCorruptException($"catalog damaged, repair cannot help: {catalogIssue.Problem}");
        var damaged = report.Issues.Where(i => i.Severity == VerifySeverity.Error).ToList();
        var ids = damaged.SelectMany(i => i.AffectedIds).Distinct().ToList();
        var paths = damaged.SelectMany(i => i.AffectedPaths).Distinct().ToList();
        var badSegments = damaged.Select(i => i.Subject).ToHashSet(StringComparer.Ordinal);
        var segments = _catalog.Segments();
        using (var tx = _catalog.Begin())
        {
            foreach (var s in segments.Where(s => badSegments.Contains(s.Name)))
            {
                // Every row of a damaged segment goes, live or not, so compaction drops the whole file
                // without reading it.
                _catalog.Exec("UPDATE items SET deleted=1 WHERE segment=$s", tx, ("$s", s.Id));
                if (s.Id == _openId && _open is not null) { _open.Dispose(); _open = null; }
                _catalog.Exec("UPDATE segments SET sealed=1 WHERE id=$s", tx, ("$s", s.Id));
            }
            tx.Commit();
        }
        return new RepairResult(ids, paths, Compact());
    }

    private bool VerifyCatalog(List<VerifyIssue> issues)
    {
        var problems = new List<string>();
        try
        {
            using (var c = _catalog.Cmd("PRAGMA integrity_check"))
            using (var r = c.ExecuteReader())
                while (r.Read()) if (r.GetString(0) != "ok") problems.Add(r.GetString(0));
            using (var c = _catalog.Cmd("PRAGMA foreign_key_check"))
            using (var r = c.ExecuteReader())
                while (r.Read()) problems.Add($"item row {r.GetValue(1)} in {r.GetString(0)} names a segment that does not exist");
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) { problems.Add($"SQLite error {e.SqliteErrorCode}: {e.Message}"); }
        if (problems.Count > 0) issues.Add(CatalogIssue("integrity check failed: " + string.Join("; ", problems.Take(20))));
        return problems.Count == 0;
    }

    private void VerifySegment(SegmentRecord s, List<VerifyIssue> issues)
    {
        var items = _catalog.ItemsOf(s.Id);
        var live = items.Where(i => !i.Deleted).ToList();
        void Add(VerifySeverity sev, string problem, string recovery, IReadOnlyList<SegmentItem> affected) =>
            issues.Add(new VerifyIssue(sev, s.Name, problem, recovery, affected.Select(a => a.Id).ToList(), affected.Select(a => a.Path).ToList()));

        if (items.Count != s.Rows || (items.Count > 0 && (items[0].Row != 0 || items[^1].Row != s.Rows - 1)))
            Add(VerifySeverity.Error, $"catalog names {items.Count} items (rows {items.FirstOrDefault().Row}..{items.LastOrDefault().Row}) but records {s.Rows} rows",
                "catalog row bookkeeping is inconsistent; Repair drops this segment's items so a re-run re-adds them", live);

        var path = SegmentPath(s.Name);
        if (!File.Exists(path))
        {
            if (s.Rows > 0) Add(VerifySeverity.Error, "file is missing", $"the {live.Count} live vectors in it are lost; Repair, then re-run the add to re-embed them", live);
            return;
        }
        long expected = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
        long length = new FileInfo(path).Length;
        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();
        if (length < expected)
        {
            long whole = Math.Max(0, (length - SegmentFile.HeaderBytes) / rowBytes);
            var lost = live.Where(i => i.Row >= whole).ToList();
            Add(VerifySeverity.Error, $"truncated: {length} bytes, {s.Rows} committed rows need {expected}",
                $"rows 0..{whole - 1} are present ({live.Count - lost.Count} live items recoverable, unverified); {lost.Count} live items past row {whole} are lost; Repair drops the segment, re-run the add to re-embed",
                s.Sealed ? live : lost);
            return;
        }
        if (length > expected && s.Sealed)
            Add(VerifySeverity.Error, $"sealed segment has {length - expected} trailing bytes", "Repair drops the segment; re-run the add to re-embed", live);
        else if (length > expected)
            Add(VerifySeverity.Info, $"{length - expected} bytes of uncommitted rows past row {s.Rows}", "harmless; truncated at the next open", []);

        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            var h = NpyHeader.Read(fs, path, null);
            if (h.DType != Metadata.StorageDType || h.Columns != Metadata.Dim || h.Shape.Length != 2 || h.Rows != s.Rows || h.DataOffset != SegmentFile.HeaderBytes)
                Add(s.Sealed ? VerifySeverity.Error : VerifySeverity.Info, $"header says {h.DType} {h.ShapeText} at offset {h.DataOffset}; catalog says {Metadata.StorageDType} ({s.Rows}, {Metadata.Dim})",
                    s.Sealed ? "Repair drops the segment; re-run the add to re-embed" : "harmless; rewritten at the next open", s.Sealed ? live : []);
        }
        catch (InvalidDataException e)
        {
            Add(VerifySeverity.Error, $"header unreadable: {e.Message}", "vectors may be intact but cannot be trusted; Repair drops the segment, re-run the add to re-embed", live);
            return;
        }
        if (s.Sealed)
        {
            var sum = SegmentFile.Checksum(path);
            if (sum != s.Checksum)
                Add(VerifySeverity.Error, $"checksum mismatch (catalog {s.Checksum}, file {sum})",
                    $"some of its {s.Rows} rows changed after sealing and the checksum cannot say which; Repair drops its {live.Count} live items, re-run the add to re-embed them", live);
        }
    }
}
