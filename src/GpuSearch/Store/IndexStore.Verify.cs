// Verification and repair: checksums of sealed segments, lengths and headers of all segments,
// SQLite's own integrity check, and row-count consistency between catalog and files. Repair turns
// damaged segments into tombstones so a re-run re-embeds exactly the affected images.
namespace GpuSearch.Store;

/// <summary>What <see cref="IndexStore.Repair"/> did.</summary>
/// <param name="DroppedIds">Ids of items whose vectors were damaged and are now deleted.</param>
/// <param name="PathsToReAdd">Their paths: a re-run adds them again (with new ids).</param>
/// <param name="Compaction">The compaction that removed the damaged segments.</param>
/// <param name="Quarantined">What was moved into the index's <c>quarantine/</c> folder (paths relative to the index), never deleted.</param>
internal sealed record RepairResult(IReadOnlyList<long> DroppedIds, IReadOnlyList<string> PathsToReAdd, CompactionResult Compaction, IReadOnlyList<string> Quarantined);

internal sealed partial class IndexStore
{
    /// <summary>Problems about damaged row ranges start with this; Repair tells them from framing problems by it.</summary>
    private const string RowsProblemPrefix = "rows ";

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
                issues.Add(new VerifyIssue(VerifySeverity.Info, f!, "file is not named by the catalog", "harmless; moved to quarantine/ at the next writable open", [], []));
            return new VerifyReport(Folder, issues, _catalog.Count(liveOnly: true), segments.Count);
        }
        catch (CatalogException e)
        {
            // The damaged pages hold items or segments: what we could not read is not verifiable.
            if (catalogOk) issues.Add(CatalogIssue($"SQLite error {e.SqliteErrorCode}: {e.InnerException!.Message}"));
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
            // Read-only: verifying never changes the index (no recovery, no lock), so it also runs beside a writer.
            using var store = OpenReadOnly(folder, expectedFingerprint);
            return store.Verify();
        }
        catch (Exception e) when (e is StoreCorruptException or CatalogException or InvalidDataException or FileNotFoundException or Microsoft.Data.Sqlite.SqliteException)
        {
            var segDir = Path.Combine(folder, "segments");
            var readable = Directory.Exists(segDir)
                ? Directory.EnumerateFiles(segDir, "seg-*.npy").Order(StringComparer.Ordinal).Select(p =>
                {
                    try { return $"{Path.GetFileName(p)} ({NpyFile.ReadHeader(p).Rows} rows)"; }
                    catch (InvalidDataException) { return null; }
                }).OfType<string>().ToList()
                : [];
            var recovery = e is StoreCorruptException { CatalogReadable: true }
                ? "SQLite reads the catalog but it contradicts itself, so it was not opened; ids, paths, labels and vectors are all still on disk. " +
                  "A wrong row count: `gpusearch repair` restores it from the rows that verify. A wrong meta value: correct it with sqlite3 (the message names it) or rebuild"
                : readable.Count == 0
                ? "no readable segment files; rebuild the index"
                : $"ids, paths and labels are lost; vectors remain readable by numpy in {string.Join(", ", readable)}. Rebuild the index from the images (re-running the add resumes nothing, it re-embeds all)";
            return new VerifyReport(folder, [new VerifyIssue(VerifySeverity.Error, "catalog", e.Message, recovery, [], [])], -1, 0);
        }
    }

    /// <summary>
    /// Makes the index healthy again, keeping every row that verifies: items whose vectors are damaged
    /// or lost are dropped from the catalog (their ids and paths are returned for re-adding, and listed in
    /// the quarantine's README.txt), segments holding them are rewritten with their intact rows and the
    /// originals moved to <see cref="QuarantineFolder"/>; sealed files whose rows verify but whose header,
    /// length or whole-file checksum are off are re-framed (trailing bytes saved to quarantine first) and re-sealed.
    /// Nothing is deleted.
    /// </summary>
    /// <exception cref="StoreCorruptException">The catalog itself is damaged (repair cannot help).</exception>
    public RepairResult Repair()
    {
        ThrowIfReadOnly();
        var report = Verify();
        var catalogIssue = report.Issues.FirstOrDefault(i => i.Severity == VerifySeverity.Error && i.Subject == "catalog");
        if (catalogIssue is not null) throw new StoreCorruptException($"catalog damaged, repair cannot help: {catalogIssue.Problem}");
        int movedBefore = _quarantine.Moved.Count;
        var damaged = report.Issues.Where(i => i.Severity == VerifySeverity.Error).ToList();
        var ids = damaged.SelectMany(i => i.AffectedIds).Distinct().ToList();
        var paths = damaged.SelectMany(i => i.AffectedPaths).Distinct().ToList();
        using (var tx = _catalog.Begin())
        {
            foreach (var id in ids) _catalog.Tombstone(id, tx);
            _catalog.Commit(tx);
        }
        // Segments with damaged rows are left to compaction (they now hold tombstones, so it rewrites them
        // from their verified rows); only segments whose rows all verify get their framing fixed in place.
        var rowDamage = damaged.Where(i => i.Problem.StartsWith(RowsProblemPrefix, StringComparison.Ordinal)).Select(i => i.Subject).ToHashSet(StringComparer.Ordinal);
        var sealedFix = damaged.Select(i => i.Subject).Where(n => n != "catalog" && !rowDamage.Contains(n)).ToHashSet(StringComparer.Ordinal);
        foreach (var s in _catalog.Segments().Where(s => s.Sealed && sealedFix.Contains(s.Name) && File.Exists(SegmentPath(s.Name))))
        {
            // Rows verified by their chunks; only framing is off. Rewrite it, then re-seal.
            long expected = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
            if (new FileInfo(SegmentPath(s.Name)).Length > expected) _quarantine.SaveTail(SegmentPath(s.Name), expected, $"past-row-{s.Rows}");
            using (var f = SegmentFile.OpenExisting(SegmentPath(s.Name), Metadata.StorageDType, Metadata.Dim)) f.TruncateTo(s.Rows);
            _catalog.SealSegment(s.Id, SegmentFile.Checksum(SegmentPath(s.Name)), SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType));
        }
        // A damaged open segment stops taking rows: compaction replaces it with a sealed copy of its intact rows.
        if (_open is not null && damaged.Any(i => i.Subject == SegmentFile.NameFor(_openId) && i.AffectedIds.Count > 0)) SealOpenSegment();
        var compaction = CompactSegments(quarantineReplaced: true);
        var moved = _quarantine.Moved.Skip(movedBefore).ToList();
        if (moved.Count > 0 || ids.Count > 0)
            _quarantine.WriteNote($"repair: moved {string.Join(", ", moved)}; dropped {ids.Count} items whose vectors were damaged or lost " +
                "(re-add these paths to restore them):\n" + string.Join("\n", ids.Zip(paths, (id, p) => $"  {id}\t{p}")));
        return new RepairResult(ids, paths, compaction, moved);
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
                "catalog row bookkeeping is inconsistent; Repair restores the row count when the rows its items name verify, else drops this segment's items so a re-run re-adds them", live);

        var path = SegmentPath(s.Name);
        if (!File.Exists(path))
        {
            if (s.Rows > 0) Add(VerifySeverity.Error, "file is missing", $"the {live.Count} live vectors in it are lost; Repair, then re-run the add to re-embed them", live);
            return;
        }
        long expected = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
        long length = new FileInfo(path).Length;
        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();

        // Rows first: per-chunk checksums say exactly which rows are damaged or lost.
        var bad = SegmentChunkCheck.Check(path, _catalog.ChunksOf(s.Id), s.Rows, rowBytes);
        foreach (var b in bad)
        {
            var hit = live.Where(i => b.Contains(i.Row)).ToList();
            Add(VerifySeverity.Error, $"{RowsProblemPrefix}{b.FirstRow}..{b.FirstRow + b.Rows - 1}: {b.Why}",
                $"the other {s.Rows - b.Rows} rows verify; {hit.Count} live items here are lost: Repair drops them (keeping the intact rows), then re-run the add to re-embed them", hit);
        }

        if (length > expected)
            Add(s.Sealed ? VerifySeverity.Error : VerifySeverity.Info, $"{length - expected} bytes past the {s.Rows} committed rows",
                s.Sealed ? "rows verify; Repair cuts the trailing bytes" : "uncommitted rows; harmless, truncated at the next open", []);
        bool headerOk;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            var h = NpyHeader.Read(fs, path, null);
            headerOk = h.DType == Metadata.StorageDType && h.Columns == Metadata.Dim && h.Shape.Length == 2 && h.Rows == s.Rows && h.DataOffset == SegmentFile.HeaderBytes;
            if (!headerOk)
                Add(s.Sealed ? VerifySeverity.Error : VerifySeverity.Info, $"header says {h.DType} {h.ShapeText} at offset {h.DataOffset}; catalog says {Metadata.StorageDType} ({s.Rows}, {Metadata.Dim})",
                    s.Sealed ? "numpy sees the wrong shape; Repair rewrites the header from the catalog" : "harmless; rewritten at the next open", []);
        }
        catch (InvalidDataException e)
        {
            headerOk = false;
            Add(s.Sealed ? VerifySeverity.Error : VerifySeverity.Info, $"header unreadable: {e.Message}",
                s.Sealed ? "numpy cannot load it; Repair rewrites the header from the catalog" : "harmless; rewritten at the next open", []);
        }
        // The whole-file checksum of a sealed segment is a second, independent check; report it only
        // when the finer checks found nothing, so one flipped byte yields one finding.
        if (s.Sealed && bad.Count == 0 && headerOk && length == expected && SegmentFile.Checksum(path) is var sum && sum != s.Checksum)
            Add(VerifySeverity.Error, $"whole-file checksum mismatch (catalog {s.Checksum}, file {sum}) although every row chunk verifies",
                "the rows are intact; Repair re-seals the file with a fresh checksum", []);
    }
}
