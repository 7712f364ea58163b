// Reading live vectors back in row order (segment by segment, row by row), streaming so an index
// larger than memory can be uploaded to a device chunk by chunk.
namespace GpuSearch.Store;

public sealed partial class IndexStore
{
    /// <summary>
    /// Streams live vectors with their ids and paths, in row order (segment order, then row; rows that
    /// <see cref="Compact"/> rewrote move to the end). Each batch holds at most <paramref name="maxRows"/>
    /// rows from one segment. Do not add, delete or compact while enumerating.
    /// </summary>
    /// <exception cref="StoreCorruptException">A segment is missing or shorter than the catalog says.</exception>
    public IEnumerable<LiveBatch> ReadLive(int maxRows = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        int dim = Metadata.Dim, rowBytes = dim * Metadata.StorageDType.ItemSize();
        foreach (var seg in _catalog.Segments())
        {
            // Rows past the count read with the segment list were committed later: leave them out, so a
            // reader running beside a writer sees one consistent prefix per segment.
            var live = _catalog.ItemsOf(seg.Id).Where(x => !x.Deleted && x.Row < seg.Rows).ToList();
            if (live.Count == 0) continue;
            var path = SegmentPath(seg.Name);
            if (!File.Exists(path))
            {
                if (IsReadOnly && !_catalog.Segments().Any(s => s.Id == seg.Id))
                    throw new IOException($"{seg.Name} was replaced by a compaction in another process while it was being read; read again");
                throw new StoreCorruptException($"{path} is missing but holds {live.Count} live items; run Verify");
            }
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            long need = SegmentFile.ExpectedLength(seg.Rows, dim, Metadata.StorageDType);
            if (fs.Length < need) throw new StoreCorruptException($"{path} holds {fs.Length} bytes but its {seg.Rows} committed rows need {need}; run Verify");
            for (int start = 0; start < live.Count;)
            {
                // A batch spans at most maxRows file rows (live or not), which bounds both the batch and
                // the read buffer even when tombstones leave live rows sparse.
                int end = start;
                while (end < live.Count && live[end].Row - live[start].Row < maxRows) end++;
                var part = live.GetRange(start, end - start);
                start = end;
                long firstRow = part[0].Row, lastRow = part[^1].Row;
                // One contiguous read covering the span (deleted rows in between are read and skipped):
                // sequential I/O beats a seek per row.
                var span = new byte[checked((int)((lastRow - firstRow + 1) * rowBytes))];
                RandomAccess.Read(fs.SafeFileHandle, span, SegmentFile.HeaderBytes + firstRow * rowBytes);
                var raw = new byte[part.Count * rowBytes];
                for (int k = 0; k < part.Count; k++)
                    span.AsSpan((int)((part[k].Row - firstRow) * rowBytes), rowBytes).CopyTo(raw.AsSpan(k * rowBytes));
                yield return new LiveBatch(part.Select(p => p.Id).ToArray(), part.Select(p => p.Path).ToArray(), Metadata.StorageDType, dim, raw);
            }
        }
    }

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

    /// <summary>The stored vector of item <paramref name="id"/> as float32, or null if there is no such item.</summary>
    public float[]? GetVector(long id)
    {
        var item = Get(id);
        if (item is null) return null;
        int rowBytes = Metadata.Dim * Metadata.StorageDType.ItemSize();
        var raw = new byte[rowBytes];
        using var fs = new FileStream(SegmentPath(item.Segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        if (RandomAccess.Read(fs.SafeFileHandle, raw, SegmentFile.HeaderBytes + item.Row * rowBytes) != rowBytes)
            throw new StoreCorruptException($"{item.Segment} ends before row {item.Row} of item {id}; run Verify");
        var v = new float[Metadata.Dim];
        NpyConvert.ToFloat32(Metadata.StorageDType, raw, v);
        return v;
    }
}
