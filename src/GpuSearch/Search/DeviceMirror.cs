// The device side of a VectorSet: either the whole set resident in device buffers (uploaded
// incrementally as rows are appended), or — when it exceeds the device budget — staging buffers
// that chunks of the host copy stream through during each search. Both present the scan with the
// same ScanChunk views, so results are identical either way.
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>One contiguous run of tiles ready on the device: buffers indexed by (tile - TileBase).</summary>
internal readonly record struct ScanChunk(
    DeviceBuffer Db, DeviceBuffer Scale, DeviceBuffer InvNorm, DeviceBuffer SqNorm, DeviceBuffer Ranks,
    DeviceBuffer Ids, int TileBegin, int TileCount);

internal sealed class DeviceMirror : IDisposable
{
    private readonly VectorSet _set;
    private readonly List<DeviceBuffer> _owned = new();
    private DeviceBuffer? _db, _scale, _invNorm, _sqNorm, _ranks, _ids, _sortedIds;
    private int _capTiles, _uploadedRows, _sortedCap;
    private bool _rowsDirty = true, _ranksDirty = true, _sortedDirty = true;

    public DeviceMirror(VectorSet set) => _set = set;

    /// <summary>The scans' scratch buffers, kept between searches (see <see cref="BufferPool"/>).</summary>
    public ScratchCache Scratch { get; } = new();

    private ComputeDevice Device => _set.Device;

    /// <summary>Bytes the vector data may occupy on the device.</summary>
    public long Budget
    {
        get
        {
            var info = Device.Info;
            long b = _set.Options.DeviceBudgetBytes ?? info.GlobalMemoryBytes / 2;
            return Math.Min(b, info.MaxAllocationBytes);
        }
    }

    /// <summary>Whether the current set is scanned from resident device memory (else streamed).</summary>
    public bool IsResident => (long)_set.Tiles * _set.TileBytes <= Budget;

    public void MarkRowsAppended() => _rowsDirty = true;
    public void MarkRanksChanged() => _ranksDirty = _sortedDirty = true;

    /// <summary>rank → external id, on the device (for turning composites into ids).</summary>
    public DeviceBuffer SortedIds(ComputeStream stream)
    {
        var (_, sorted) = _set.Ranks();
        if (_sortedIds is null || _sortedCap < sorted.Length || _sortedDirty)
        {
            if (_sortedIds is null || _sortedCap < sorted.Length)
            {
                Free(ref _sortedIds);
                _sortedCap = Math.Max(sorted.Length, 1);
                _sortedIds = Alloc((long)_sortedCap * 8);
            }
            stream.Upload<long>(_sortedIds, sorted);
            _sortedDirty = false;
        }
        return _sortedIds;
    }

    /// <summary>The chunks to scan, in tile order. Streamed chunks reuse one set of staging buffers, so
    /// each chunk must be fully consumed (its kernels enqueued) before the next is requested.</summary>
    public IEnumerable<ScanChunk> Chunks(ComputeStream stream)
    {
        var (ranks, _) = _set.Ranks();
        int tiles = _set.Tiles;
        if (tiles == 0) yield break;
        if (IsResident)
        {
            SyncResident(stream, ranks);
            _ranksDirty = false;
            yield return new ScanChunk(_db!, _scale!, _invNorm!, _sqNorm!, _ranks!, _ids!, 0, tiles);
            yield break;
        }
        // Streaming: the buffers become staging for one chunk at a time (kept across searches).
        _uploadedRows = 0;
        _rowsDirty = true;
        int chunkTiles = Math.Max(1, (_set.Options.StreamChunkRows + VectorSet.RowBlock - 1) / VectorSet.RowBlock);
        chunkTiles = (chunkTiles + VectorSet.SegmentTiles - 1) / VectorSet.SegmentTiles * VectorSet.SegmentTiles;
        chunkTiles = Math.Min(chunkTiles, (tiles + VectorSet.SegmentTiles - 1) / VectorSet.SegmentTiles * VectorSet.SegmentTiles);
        EnsureCapacity(chunkTiles);
        _ranksDirty = false;
        for (int t0 = 0; t0 < tiles; t0 += chunkTiles)
        {
            int count = Math.Min(chunkTiles, tiles - t0);
            UploadTiles(stream, t0, count, 0, ranks);
            yield return new ScanChunk(_db!, _scale!, _invNorm!, _sqNorm!, _ranks!, _ids!, 0, count);
        }
    }

    private void SyncResident(ComputeStream stream, uint[] ranks)
    {
        int tiles = _set.Tiles;
        if (_db is null || _capTiles < tiles)
        {
            int cap = Math.Max(tiles, _capTiles * 2);
            if ((long)cap * _set.TileBytes > Budget) cap = tiles;
            ReleaseResident();
            EnsureCapacity(cap);
            _uploadedRows = 0;
            _rowsDirty = true;
        }
        if (_rowsDirty || _ranksDirty)
        {
            int firstTile = _uploadedRows / VectorSet.RowBlock;
            UploadTiles(stream, firstTile, tiles - firstTile, firstTile, ranks);
            // Ranks of earlier tiles shift when ids are added or removed anywhere.
            if (firstTile > 0) stream.Upload<uint>(_ranks!, ranks.AsSpan(0, firstTile * VectorSet.RowBlock));
            _uploadedRows = _set.PhysicalRows;
            _rowsDirty = false;
        }
    }

    /// <summary>Uploads tiles [t0, t0 + count) of the host copy to device tile position dstTile.</summary>
    private void UploadTiles(ComputeStream stream, int t0, int count, int dstTile, uint[] ranks)
    {
        if (count <= 0) return;
        long tileBytes = _set.TileBytes;
        var segments = _set.Segments;
        for (int t = t0; t < t0 + count;)
        {
            int s = t / VectorSet.SegmentTiles, inSeg = t % VectorSet.SegmentTiles;
            int n = Math.Min(VectorSet.SegmentTiles - inSeg, t0 + count - t);
            stream.Upload<byte>(_db!, segments[s].AsSpan((int)(inSeg * tileBytes), (int)(n * tileBytes)), (t - t0 + dstTile) * tileBytes);
            t += n;
        }
        int r0 = t0 * VectorSet.RowBlock;
        int rows = Math.Min(count * VectorSet.RowBlock, _set.PhysicalRows - r0);
        long d0 = (long)dstTile * VectorSet.RowBlock;
        stream.Upload(_scale!, _set.RowScale.Slice(r0, rows), d0 * 4);
        stream.Upload(_invNorm!, _set.RowInvNorm.Slice(r0, rows), d0 * 4);
        stream.Upload(_sqNorm!, _set.RowSqNorm.Slice(r0, rows), d0 * 4);
        stream.Upload(_ids!, _set.RowIds.Slice(r0, rows), d0 * 8);
        // Ranks cover the padding rows of the last tile too (DeadRank), so the kernel needs no row bound.
        stream.Upload<uint>(_ranks!, ranks.AsSpan(r0, count * VectorSet.RowBlock), d0 * 4);
    }

    private void EnsureCapacity(int tiles)
    {
        if (_db is not null && _capTiles >= tiles) return;
        ReleaseResident();
        long rows = (long)tiles * VectorSet.RowBlock;
        _db = Alloc(tiles * _set.TileBytes);
        _scale = Alloc(rows * 4);
        _invNorm = Alloc(rows * 4);
        _sqNorm = Alloc(rows * 4);
        _ranks = Alloc(rows * 4);
        _ids = Alloc(rows * 8);
        _capTiles = tiles;
    }

    private DeviceBuffer Alloc(long bytes)
    {
        var b = Device.Allocate(Math.Max(bytes, 8));
        _owned.Add(b);
        return b;
    }

    private void Free(ref DeviceBuffer? b)
    {
        if (b is null) return;
        _owned.Remove(b);
        b.Dispose();
        b = null;
    }

    private void ReleaseResident()
    {
        Free(ref _db); Free(ref _scale); Free(ref _invNorm); Free(ref _sqNorm); Free(ref _ranks); Free(ref _ids);
        _capTiles = 0;
        _uploadedRows = 0;
    }

    public void Dispose()
    {
        Scratch.Dispose();
        foreach (var b in _owned) b.Dispose();
        _owned.Clear();
        _db = _scale = _invNorm = _sqNorm = _ranks = _ids = _sortedIds = null;
    }
}
