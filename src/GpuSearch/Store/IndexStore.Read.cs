// Reading live vectors back in row order (segment by segment, chunk by chunk), streaming so an index
// larger than memory can be uploaded to a device piece by piece. Every chunk is checked against its
// SHA-256 as it is read (one pass over bytes being read anyway) and every live row must be finite, so
// damaged vectors are refused with the file and rows named instead of giving silently wrong results.
using System.Runtime.InteropServices;
using GpuSearch.Search;

namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    private sealed record SegmentSnapshot(SegmentRecord Segment, List<SegmentItem> Items, List<ChunkRecord> Chunks);

    /// <summary>
    /// One segment with its items and chunks, read in one snapshot so a writer's commit cannot split them (an item past
    /// the row count is then damage, not a race); null when the segment is gone (a compaction replaced it meanwhile).
    /// One segment at a time keeps memory bounded by the largest segment, not the index.
    /// </summary>
    private SegmentSnapshot? ReadSnapshot(long segmentId)
    {
        using var tx = _catalog.BeginRead();
        var seg = _catalog.Segments(tx).FirstOrDefault(s => s.Id == segmentId);
        return seg is null ? null : new SegmentSnapshot(seg, _catalog.ItemsOf(seg.Id, tx), _catalog.ChunksOf(seg.Id, tx));
    }

    /// <summary>
    /// Streams live vectors with their ids and paths, in row order (segment order, then row; rows that
    /// <see cref="Compact"/> rewrote move to the end). Each batch holds rows from one segment and spans at most
    /// <paramref name="maxRows"/> file rows (or one checksummed chunk when a chunk is larger). Do not add, delete
    /// or compact while enumerating.
    /// </summary>
    /// <exception cref="StoreCorruptException">A segment is missing or short, a chunk fails its SHA-256, a live row holds
    /// NaN or infinity, or an item names a row outside its segment; the message names the file and rows.</exception>
    public IEnumerable<LiveBatch> ReadLive(int maxRows = 65536) => ReadLive(maxRows, afterId: -1);

    /// <summary>
    /// <see cref="ReadLive(int)"/> restricted to live items with an id above <paramref name="afterId"/> (ids grow with
    /// every commit, so this is what was committed since a reader loaded up to that id); with afterId ≥ 0 only the
    /// chunks holding such rows are read and verified.
    /// </summary>
    internal IEnumerable<LiveBatch> ReadLive(int maxRows, long afterId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        int dim = Metadata.Dim, rowBytes = dim * Metadata.StorageDType.ItemSize();
        var wanted = afterId >= 0 ? _catalog.SegmentsWithItemsAfter(afterId) : null;
        foreach (var listed in _catalog.Segments())
        {
            if (wanted is not null && !wanted.Contains(listed.Id)) continue; // nothing new there: not even its items are read
            var snapshot = ReadSnapshot(listed.Id);
            if (snapshot is null)
            {
                if (IsReadOnly) throw new IOException($"{listed.Name} was replaced by a compaction in another process while it was being read; read again");
                continue;
            }
            var (seg, items, chunks) = snapshot;
            var path = SegmentPath(seg.Name);
            if (items.FirstOrDefault(x => x.Row < 0 || x.Row >= seg.Rows) is { Path: not null } stray)
                throw new StoreCorruptException($"{path}: item {stray.Id} ({stray.Path}) names row {stray.Row}, outside the segment's {seg.Rows} committed rows; " +
                    "the catalog is damaged. Nothing was changed; run `gpusearch verify`");
            var live = items.Where(x => !x.Deleted && x.Id > afterId).ToList();
            if (live.Count == 0) continue;
            CheckChunkCoverage(path, seg.Rows, chunks);
            if (!File.Exists(path))
            {
                if (IsReadOnly && !_catalog.Segments().Any(s => s.Id == seg.Id))
                    throw new IOException($"{seg.Name} was replaced by a compaction in another process while it was being read; read again");
                throw new StoreCorruptException($"{path} is missing but holds {live.Count} live items; run `gpusearch verify`");
            }
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            long need = SegmentFile.ExpectedLength(seg.Rows, dim, Metadata.StorageDType);
            if (fs.Length < need) throw new StoreCorruptException($"{path} holds {fs.Length} bytes but its {seg.Rows} committed rows need {need}; run `gpusearch verify`");
            int next = 0; // index into live
            for (int c = 0; c < chunks.Count;)
            {
                // Whole chunks only, so each can be hashed; as many as fit in maxRows file rows (at least one).
                int end = c + 1;
                while (end < chunks.Count && chunks[end].FirstRow + chunks[end].Rows - chunks[c].FirstRow <= maxRows) end++;
                long firstRow = chunks[c].FirstRow, lastEnd = chunks[end - 1].FirstRow + chunks[end - 1].Rows;
                if (afterId >= 0 && (next >= live.Count || live[next].Row >= lastEnd)) { c = end; continue; } // none of the new rows here
                var span = new byte[checked((int)((lastEnd - firstRow) * rowBytes))];
                RandomAccess.Read(fs.SafeFileHandle, span, SegmentFile.HeaderBytes + firstRow * rowBytes);
                for (int k = c; k < end; k++)
                {
                    var ch = chunks[k];
                    var bytes = span.AsSpan((int)((ch.FirstRow - firstRow) * rowBytes), (int)(ch.Rows * rowBytes));
                    if (SegmentChunkCheck.Hash(bytes) != ch.Checksum)
                        throw new StoreCorruptException($"{path}: rows {ch.FirstRow}..{ch.FirstRow + ch.Rows - 1} (one checksummed chunk) fail their SHA-256 check: " +
                            "the bytes changed after they were written. Nothing was changed; run `gpusearch verify`, then `gpusearch repair` to quarantine the damaged rows");
                }
                c = end;
                // A chunk larger than maxRows (one big append) is read and hashed whole, but still yielded in pieces.
                while (next < live.Count && live[next].Row < lastEnd)
                {
                    int from = next;
                    while (next < live.Count && live[next].Row < lastEnd && live[next].Row - live[from].Row < maxRows) next++;
                    var part = live.GetRange(from, next - from);
                    var raw = new byte[part.Count * rowBytes];
                    for (int k = 0; k < part.Count; k++)
                    {
                        var row = span.AsSpan((int)((part[k].Row - firstRow) * rowBytes), rowBytes);
                        if (!IsFinite(row))
                            throw new StoreCorruptException($"{path}: row {part[k].Row} ({part[k].Path}) holds NaN or infinity, which the store never writes; " +
                                "run `gpusearch verify`, then `gpusearch repair`");
                        row.CopyTo(raw.AsSpan(k * rowBytes));
                    }
                    yield return new LiveBatch(part.Select(p => p.Id).ToArray(), part.Select(p => p.Path).ToArray(), Metadata.StorageDType, dim, raw);
                }
            }
        }
    }

    /// <summary>Chunks must cover rows 0..rows-1 exactly once, in order: rows without a checksum cannot be trusted.</summary>
    private static void CheckChunkCoverage(string path, long rows, List<ChunkRecord> chunks)
    {
        long next = 0;
        foreach (var c in chunks)
        {
            if (c.FirstRow != next || c.Rows <= 0)
                throw new StoreCorruptException($"{path}: rows {next}..{c.FirstRow - 1} have no checksum recorded (chunk bookkeeping is damaged); run `gpusearch verify`");
            next = c.FirstRow + c.Rows;
        }
        if (next != rows)
            throw new StoreCorruptException($"{path}: checksums cover {next} rows but the segment records {rows}; run `gpusearch verify`");
    }

    private bool IsFinite(ReadOnlySpan<byte> row) => Metadata.StorageDType == NpyDType.Float16
        ? FiniteValues.CountNonFinite(MemoryMarshal.Cast<byte, Half>(row)) == 0
        : FiniteValues.CountNonFinite(MemoryMarshal.Cast<byte, float>(row)) == 0;

    /// <summary>All live vectors as float32 with ids and paths, in row order.</summary>
    public StoreContents ReadAll()
    {
        var ids = new List<long>();
        var paths = new List<string>();
        var vecs = new List<float>();
        foreach (var b in ReadLive())
        {
            ids.AddRange(b.Ids);
            paths.AddRange(b.Paths);
            vecs.AddRange(b.ToFloat32());
        }
        return new StoreContents(ids.ToArray(), paths.ToArray(), vecs.ToArray(), Metadata.Dim);
    }

    /// <summary>The stored vector of item <paramref name="id"/> as float32 (its chunk verified), or null if there is no such item.</summary>
    /// <exception cref="StoreCorruptException">The row is outside its segment, its chunk fails its SHA-256, or it is not finite.</exception>
    public float[]? GetVector(long id)
    {
        var item = Get(id);
        if (item is null) return null;
        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();
        var path = SegmentPath(item.Segment);
        var seg = _catalog.Segments().FirstOrDefault(s => s.Name == item.Segment);
        if (seg is null || item.Row < 0 || item.Row >= seg.Rows)
            throw new StoreCorruptException($"{path}: item {id} names row {item.Row}, outside the segment's committed rows; run `gpusearch verify`");
        var chunk = _catalog.ChunksOf(seg.Id).FirstOrDefault(c => c.FirstRow <= item.Row && item.Row < c.FirstRow + c.Rows);
        if (chunk.Checksum is null) throw new StoreCorruptException($"{path}: row {item.Row} of item {id} has no checksum recorded; run `gpusearch verify`");
        var raw = new byte[chunk.Rows * rowBytes];
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        if (RandomAccess.Read(fs.SafeFileHandle, raw, SegmentFile.HeaderBytes + chunk.FirstRow * rowBytes) != raw.Length)
            throw new StoreCorruptException($"{path} ends before row {item.Row} of item {id}; run `gpusearch verify`");
        if (SegmentChunkCheck.Hash(raw) != chunk.Checksum)
            throw new StoreCorruptException($"{path}: rows {chunk.FirstRow}..{chunk.FirstRow + chunk.Rows - 1} (holding item {id}) fail their SHA-256 check; run `gpusearch verify`");
        var row = raw.AsSpan((int)((item.Row - chunk.FirstRow) * rowBytes), rowBytes);
        if (!IsFinite(row)) throw new StoreCorruptException($"{path}: row {item.Row} of item {id} holds NaN or infinity; run `gpusearch verify`");
        var v = new float[Metadata.Dim];
        NpyConvert.ToFloat32(Metadata.StorageDType, row, v);
        return v;
    }
}
