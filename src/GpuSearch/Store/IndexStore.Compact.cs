// Compaction: rewrites every segment that has tombstoned rows into a new sealed segment holding only
// its live rows. New files are complete and fsynced before one transaction swaps them in; old files
// are deleted only after that commit. A crash at any step leaves either the old or the new set named
// by the catalog, and Open deletes whichever files the catalog does not name.
namespace GpuSearch.Store;

/// <summary>What <see cref="IndexStore.Compact"/> did.</summary>
/// <param name="SegmentsRewritten">Segments that had tombstones and were replaced.</param>
/// <param name="ItemsRemoved">Tombstoned items whose rows (and catalog entries) were dropped.</param>
/// <param name="BytesReclaimed">Segment bytes freed.</param>
internal sealed record CompactionResult(int SegmentsRewritten, long ItemsRemoved, long BytesReclaimed);

internal sealed partial class IndexStore
{
    /// <summary>Rows per checksummed chunk in compacted segments: small enough to localize damage, large enough to stay cheap.</summary>
    private const int ChunkRowsOnCompact = 1024;

    /// <summary>Drops tombstoned rows by rewriting the segments that hold them. Crash-safe; ids do not change.</summary>
    /// <exception cref="StoreCorruptException">A sealed segment to rewrite fails its checksum (run Verify/Repair first).</exception>
    public CompactionResult Compact() => CompactSegments(quarantineReplaced: false);

    /// <summary>Compaction; with <paramref name="quarantineReplaced"/> (Repair) the replaced files are moved to quarantine, not deleted.</summary>
    private CompactionResult CompactSegments(bool quarantineReplaced)
    {
        ThrowIfReadOnly();
        var targets = new List<(SegmentRecord Old, List<SegmentItem> Live, long Removed)>();
        foreach (var s in _catalog.Segments())
        {
            var items = _catalog.ItemsOf(s.Id);
            long dead = items.Count(x => x.Deleted);
            if (dead > 0) targets.Add((s, items.Where(x => !x.Deleted).ToList(), dead));
        }
        if (targets.Count == 0) return new CompactionResult(0, 0, 0);
        if (_open is not null && targets.Any(t => t.Old.Id == _openId)) SealOpenSegment(); // rewrite finished files only

        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();
        var written = new List<(SegmentRecord Old, SegmentRecord? New, List<SegmentItem> Live, List<(long First, long Rows, string Sum)> Chunks)>();
        foreach (var (old, live, _) in targets)
        {
            if (live.Count == 0) { written.Add((old, null, live, [])); continue; }
            var oldPath = SegmentPath(old.Name);
            // Never copy damage into a fresh checksum: every row we copy must pass its chunk checksum.
            var bad = SegmentChunkCheck.Check(oldPath, _catalog.ChunksOf(old.Id), old.Rows, rowBytes);
            if (live.FirstOrDefault(it => bad.Any(b => b.Contains(it.Row))) is { Path: not null } hit)
                throw new StoreCorruptException($"{oldPath} row {hit.Row} ({hit.Path}) fails verification, so compaction will not copy it; run Verify and Repair");
            long id = _catalog.ReserveSegmentId();
            var name = SegmentFile.NameFor(id);
            var finalPath = SegmentPath(name);
            var tmp = finalPath + ".tmp";
            var chunks = new List<(long First, long Rows, string Sum)>();
            using (var src = new FileStream(oldPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
            using (var dst = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                dst.Write(SegmentFile.Header(live.Count, Metadata.Dim, Metadata.StorageDType));
                var block = new byte[Math.Min(live.Count, ChunkRowsOnCompact) * rowBytes];
                for (int first = 0; first < live.Count; first += ChunkRowsOnCompact)
                {
                    int n = Math.Min(ChunkRowsOnCompact, live.Count - first);
                    for (int k = 0; k < n; k++)
                        RandomAccess.Read(src.SafeFileHandle, block.AsSpan(k * rowBytes, rowBytes), SegmentFile.HeaderBytes + live[first + k].Row * rowBytes);
                    dst.Write(block, 0, n * rowBytes);
                    chunks.Add((first, n, SegmentChunkCheck.Hash(block.AsSpan(0, n * rowBytes))));
                }
                dst.Flush(flushToDisk: true);
            }
            File.Move(tmp, finalPath);
            DurableFile.SyncDirectory(SegmentDir);
            long len = SegmentFile.ExpectedLength(live.Count, Metadata.Dim, Metadata.StorageDType);
            written.Add((old, new SegmentRecord(id, name, live.Count, len, SegmentFile.Checksum(finalPath), true), live, chunks));
        }
        FaultPoint?.Invoke("compact:files-written");

        using (var tx = _catalog.Begin())
        {
            foreach (var (old, neu, live, chunks) in written)
            {
                if (neu is not null)
                {
                    _catalog.InsertSegment(neu, tx);
                    foreach (var (first, rows, sum) in chunks) _catalog.InsertChunk(neu.Id, first, rows, sum, tx);
                    for (int r = 0; r < live.Count; r++)
                        _catalog.Exec("UPDATE items SET segment=$s, row=$r WHERE id=$id", tx, ("$s", neu.Id), ("$r", (long)r), ("$id", live[r].Id));
                }
                _catalog.Exec("DELETE FROM items WHERE segment=$s AND deleted=1", tx, ("$s", old.Id));
                _catalog.Exec("DELETE FROM chunks WHERE segment=$s", tx, ("$s", old.Id));
                _catalog.Exec("DELETE FROM segments WHERE id=$s", tx, ("$s", old.Id));
            }
            _catalog.Commit(tx);
        }
        FaultPoint?.Invoke("compact:committed");

        long reclaimed = 0;
        foreach (var (old, neu, _, _) in written)
        {
            reclaimed += old.ByteLength - (neu?.ByteLength ?? 0);
            if (quarantineReplaced && File.Exists(SegmentPath(old.Name))) _quarantine.MoveAside(SegmentPath(old.Name));
            else File.Delete(SegmentPath(old.Name));
        }
        DurableFile.SyncDirectory(SegmentDir);
        return new CompactionResult(written.Count, targets.Sum(t => t.Removed), reclaimed);
    }
}
