// Open-time consistency: before anything trusts the catalog's committed row counts (recovery cuts
// files back to them, reads are bounded by them) they are checked against what else the catalog
// records. Rows, the items naming them, their chunk checksum and the raised count commit in one
// transaction, so a count below the rows that items or chunks name is damage, never a crash leftover;
// and byte_length is always header + rows x row bytes, so a mismatch means the meta dtype/dim is wrong.
namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    /// <summary>A segment with the rows the rest of the catalog says it holds.</summary>
    /// <param name="Record">The segments row.</param>
    /// <param name="EvidenceRows">One past the highest row any item or chunk names (at least Record.Rows).</param>
    /// <param name="MinItemRow">The lowest item row (negative rows are damage).</param>
    private sealed record SegmentState(SegmentRecord Record, long EvidenceRows, long MinItemRow);

    private string CatalogPath => Path.Combine(Folder, CatalogFile);

    /// <summary>Every segment with its row evidence, read in one snapshot so a writer's commit in between cannot look like damage.</summary>
    private List<SegmentState> ReadSegmentStates()
    {
        using var tx = _catalog.BeginRead();
        var segments = _catalog.Segments(tx);
        var evidence = _catalog.RowEvidence(tx);
        return segments.Select(s =>
        {
            var e = evidence.GetValueOrDefault(s.Id);
            return new SegmentState(s, Math.Max(s.Rows, Math.Max(e.ItemEnd, e.ChunkEnd)), e.MinItemRow);
        }).ToList();
    }

    /// <summary>Refuses a catalog whose meta (dtype, dim) disagrees with the byte lengths it recorded, or whose items name negative rows.</summary>
    /// <exception cref="StoreCorruptException">Always names the catalog and the segment; nothing has been changed.</exception>
    private void CheckMetaAgainstSegments(IEnumerable<SegmentState> states)
    {
        foreach (var st in states)
        {
            var s = st.Record;
            if (st.MinItemRow < 0)
                throw new StoreCorruptException($"{CatalogPath}: items of {s.Name} name row {st.MinItemRow}, outside the segment; the catalog is damaged. Nothing was changed; run `gpusearch verify`") { CatalogReadable = true };
            long byCount = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
            long byEvidence = SegmentFile.ExpectedLength(st.EvidenceRows, Metadata.Dim, Metadata.StorageDType);
            if (s.ByteLength == byCount || s.ByteLength == byEvidence) continue;
            string header = "";
            try { var h = NpyFile.ReadHeader(SegmentPath(s.Name)); header = $"; the file's header says {h.DType.Descr()} {h.ShapeText}"; }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { }
            throw new StoreCorruptException(
                $"{CatalogPath}: meta says dtype {Metadata.StorageDType.Descr()} and dim {Metadata.Dim}, so the {s.Rows} committed rows of {s.Name} " +
                $"take {byCount} bytes, but the catalog recorded {s.ByteLength}{header}. The catalog's meta or row count is damaged; " +
                "nothing was changed (opening it would misread or cut the vectors). Run `gpusearch verify`") { CatalogReadable = true };
        }
    }

    /// <summary>Read-only handles refuse a catalog whose row counts are below what its items and chunks name.</summary>
    private void CheckRowCountsReadOnly(IEnumerable<SegmentState> states)
    {
        foreach (var st in states.Where(st => st.EvidenceRows > st.Record.Rows))
            throw new StoreCorruptException(
                $"{CatalogPath}: {st.Record.Name} records {st.Record.Rows} committed rows but its items and checksums name rows up to {st.EvidenceRows - 1}; " +
                "the catalog's row count is damaged. Nothing was changed; `gpusearch repair` restores the count from the rows that verify") { CatalogReadable = true };
    }

    /// <summary>
    /// Writable open: where items or chunks name rows past a segment's count, restores the count when the file holds
    /// those rows and their chunk checksums verify (nothing is cut). Returns the segments it could not prove, which
    /// recovery then leaves untouched for Verify and Repair.
    /// </summary>
    private HashSet<long> RestoreRowCounts(IEnumerable<SegmentState> states)
    {
        var untouchable = new HashSet<long>();
        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();
        foreach (var st in states.Where(st => st.EvidenceRows > st.Record.Rows))
        {
            var s = st.Record;
            var path = SegmentPath(s.Name);
            long need = SegmentFile.ExpectedLength(st.EvidenceRows, Metadata.Dim, Metadata.StorageDType);
            bool provable = File.Exists(path) && new FileInfo(path).Length >= need
                && !SegmentChunkCheck.Check(path, _catalog.ChunksOf(s.Id), st.EvidenceRows, rowBytes).Any(b => b.FirstRow + b.Rows > s.Rows);
            if (!provable)
            {
                untouchable.Add(s.Id);
                _recoveryLog.Add($"{s.Name}: the catalog records {s.Rows} committed rows but items name rows up to {st.EvidenceRows - 1}, " +
                    "and those rows cannot be verified; the file was left untouched. Run `gpusearch verify`");
                continue;
            }
            using (var tx = _catalog.Begin())
            {
                _catalog.UpdateSegmentRows(s.Id, st.EvidenceRows, need, tx);
                _catalog.Commit(tx);
            }
            _recoveryLog.Add($"{s.Name}: the catalog recorded {s.Rows} committed rows but its items and verified checksums name {st.EvidenceRows}; " +
                $"restored the count to {st.EvidenceRows} (nothing cut)");
        }
        return untouchable;
    }
}
