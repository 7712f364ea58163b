// Open-time recovery: brings the segment files back in line with the catalog after a crash.
// The catalog is authoritative once its row counts are consistent with its own items and checksums
// (IndexStore.Consistency.cs); files are never extended, and nothing is destroyed: whatever recovery
// removes from segments/ (unnamed files, bytes past the committed rows) is moved to quarantine/ first.
namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    private void Recover()
    {
        var states = ReadSegmentStates();
        CheckMetaAgainstSegments(states);
        var untouchable = RestoreRowCounts(states);
        Directory.CreateDirectory(SegmentDir);
        var segments = _catalog.Segments();
        var named = segments.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(SegmentDir).ToList())
        {
            var name = Path.GetFileName(file);
            // Temp files are compaction output that was never renamed; unnamed segments were created or
            // compacted but never committed, or are old segments a committed compaction replaced. The
            // catalog names no item in them, but a damaged catalog could be wrong about that: move, never delete.
            bool orphan = name.EndsWith(".tmp", StringComparison.Ordinal)
                || (name.StartsWith("seg-", StringComparison.Ordinal) && name.EndsWith(".npy", StringComparison.Ordinal) && !named.Contains(name));
            if (!orphan) continue;
            var moved = _quarantine.MoveAside(file);
            Log($"moved {name} to {RelativeToFolder(moved)}: not named by the catalog (left by an interrupted add or compaction)");
        }

        var unsealed = segments.Where(s => !s.Sealed && !untouchable.Contains(s.Id)).ToList();
        for (int i = 0; i < unsealed.Count; i++)
        {
            var s = unsealed[i];
            var path = SegmentPath(s.Name);
            long expected = SegmentFile.ExpectedLength(s.Rows, Metadata.Dim, Metadata.StorageDType);
            SegmentFile file;
            if (!File.Exists(path))
            {
                if (s.Rows > 0) { Log($"{s.Name} is missing but the catalog names {s.Rows} rows in it; run Verify"); continue; }
                file = SegmentFile.Create(path, Metadata.StorageDType, Metadata.Dim);
                Log($"recreated empty open segment {s.Name}");
            }
            else file = SegmentFile.OpenExisting(path, Metadata.StorageDType, Metadata.Dim);

            long length = file.Length;
            if (length < expected)
            {
                // Committed rows are fsynced before their commit, so this is damage, not a crash. Leave
                // the file untouched for Verify to report; new rows go to a fresh segment.
                Log($"{s.Name} holds {length} bytes but {s.Rows} committed rows need {expected}; left as is, run Verify");
                file.Dispose();
                continue;
            }
            if (length > expected)
            {
                var saved = _quarantine.SaveTail(path, expected, $"rows-{s.Rows}-and-up");
                Log($"{s.Name}: moved {length - expected} bytes of rows that were written but never committed to {RelativeToFolder(saved)}");
            }
            file.TruncateTo(s.Rows); // Also rewrites a stale or torn header from the committed count.

            _open = file;
            _openId = s.Id;
            _openRows = s.Rows;
            bool last = i == unsealed.Count - 1;
            if (!last || s.Rows >= Metadata.SegmentCapacityRows)
            {
                // Full (a crash hit between the last commit and the seal) or an extra unsealed segment.
                SealOpenSegment();
                Log($"sealed {s.Name} ({s.Rows} rows)");
            }
        }
    }

    private void Log(string line)
    {
        _recoveryLog.Add(line);
        EngineLog.RecoveryAction(_logger, Folder, line);
        if (_quarantine.Folder is not null) _quarantine.WriteNote(line);
    }

    private string RelativeToFolder(string path) => Path.GetRelativePath(Folder, path);
}
