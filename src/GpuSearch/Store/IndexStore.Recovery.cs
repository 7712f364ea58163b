// Open-time recovery: brings the segment files back in line with the catalog after a crash.
// The catalog is authoritative; files are only ever cut back to what it committed, never extended.
namespace GpuSearch.Store;

public sealed partial class IndexStore
{
    private void Recover()
    {
        Directory.CreateDirectory(SegmentDir);
        var segments = _catalog.Segments();
        var named = segments.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        bool removed = false;
        foreach (var file in Directory.EnumerateFiles(SegmentDir))
        {
            var name = Path.GetFileName(file);
            // Temp files are compaction output that was never renamed; unnamed segments were created or
            // compacted but never committed, or are old segments a committed compaction replaced.
            // Either way the catalog names no item in them.
            bool orphan = name.EndsWith(".tmp", StringComparison.Ordinal)
                || (name.StartsWith("seg-", StringComparison.Ordinal) && name.EndsWith(".npy", StringComparison.Ordinal) && !named.Contains(name));
            if (!orphan) continue;
            File.Delete(file);
            _recoveryLog.Add($"removed {name}: not named by the catalog (left by an interrupted add or compaction)");
            removed = true;
        }
        if (removed) DurableFile.SyncDirectory(SegmentDir);

        var unsealed = segments.Where(s => !s.Sealed).ToList();
        for (int i = 0; i < unsealed.Count; i++)
        {
            var s = unsealed[i];
            var path = SegmentPath(s.Name);
            long expected = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
            SegmentFile file;
            if (!File.Exists(path))
            {
                if (s.Rows > 0) { _recoveryLog.Add($"{s.Name} is missing but the catalog names {s.Rows} rows in it; run Verify"); continue; }
                file = SegmentFile.Create(path, Metadata.StorageDType, Metadata.Dim);
                _recoveryLog.Add($"recreated empty open segment {s.Name}");
            }
            else file = SegmentFile.OpenExisting(path, Metadata.StorageDType, Metadata.Dim);

            long length = file.Length;
            if (length < expected)
            {
                // Committed rows are fsynced before their commit, so this is damage, not a crash. Leave
                // the file untouched for Verify to report; new rows go to a fresh segment.
                _recoveryLog.Add($"{s.Name} holds {length} bytes but {s.Rows} committed rows need {expected}; left as is, run Verify");
                file.Dispose();
                continue;
            }
            if (length > expected)
                _recoveryLog.Add($"{s.Name}: discarded {length - expected} bytes of rows that were written but never committed");
            file.TruncateTo(s.Rows); // Also rewrites a stale or torn header from the committed count.

            bool last = i == unsealed.Count - 1;
            if (last && s.Rows < Metadata.SegmentCapacityRows)
            {
                _open = file;
                _openId = s.Id;
                _openRows = s.Rows;
            }
            else
            {
                // Full (a crash hit between the last commit and the seal) or an extra unsealed segment.
                _open = file;
                _openId = s.Id;
                _openRows = s.Rows;
                SealOpenSegment();
                _recoveryLog.Add($"sealed {s.Name} ({s.Rows} rows)");
            }
        }
    }
}
