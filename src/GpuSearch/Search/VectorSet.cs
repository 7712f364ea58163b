// A set of vectors with 64-bit external ids, kept in host memory in the scan kernel's tile layout and
// mirrored onto one device (see DeviceMirror) when it fits the device budget, else streamed in chunks.
// Append, remove by id (tombstones) and compaction. Not thread-safe: one writer or searcher at a time.
using System.Runtime.InteropServices;
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>Options of a <see cref="VectorSet"/>.</summary>
internal sealed record VectorSetOptions
{
    /// <summary>Device bytes the vector data may occupy; a larger set is streamed from host memory in
    /// chunks of <see cref="StreamChunkRows"/>. Null: half the device's memory (capped by its largest allocation).</summary>
    public long? DeviceBudgetBytes { get; init; }

    /// <summary>Rows per streamed chunk (rounded up to whole tiles of 64 rows).</summary>
    public int StreamChunkRows { get; init; } = 65536;
}

/// <summary>Vectors of one dimension and storage type, with external ids, on a compute device.</summary>
internal sealed partial class VectorSet : IDisposable
{
    /// <summary>Rows per tile of the device layout; equals the scan kernel's <c>ROWS</c>.</summary>
    public const int RowBlock = 64;
    /// <summary>Tiles per host segment (host memory is a list of segments so no array exceeds 2 GB).</summary>
    internal const int SegmentTiles = 16;
    /// <summary>Rank of a removed row (and of padding rows): the kernel skips it.</summary>
    internal const uint DeadRank = uint.MaxValue;

    private readonly List<byte[]> _segments = new();
    private readonly Dictionary<long, int> _rowOf = new();
    private long[] _ids = [];
    private float[] _scale = [], _invNorm = [], _sqNorm = [];
    private uint[] _ranks = [];
    private long[] _sortedIds = [];
    private bool _ranksDirty = true;
    private int _rows;
    private DeviceMirror? _mirror;

    /// <summary>The device searches run on.</summary>
    public ComputeDevice Device { get; }
    /// <summary>Vector dimension.</summary>
    public int Dimension { get; }
    /// <summary>Storage type on the device.</summary>
    public VectorStorage Storage { get; }
    /// <summary>Options in force.</summary>
    public VectorSetOptions Options { get; }
    /// <summary>Live vectors (added and not removed).</summary>
    public long Count => _rowOf.Count;
    /// <summary>Physical rows including tombstones (until <see cref="Compact"/>).</summary>
    public int PhysicalRows => _rows;
    /// <summary>Removed rows still occupying space.</summary>
    public int Tombstones => _rows - _rowOf.Count;

    /// <summary>Creates an empty set.</summary>
    public VectorSet(ComputeDevice device, int dimension, VectorStorage storage = VectorStorage.Fp32, VectorSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (dimension > 1 << 16) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension above 65,536 is not supported");
        _ = storage.ElementBytes();
        Device = device; Dimension = dimension; Storage = storage;
        Options = options ?? new VectorSetOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.StreamChunkRows, "options.StreamChunkRows");
    }

    internal int Tiles => (_rows + RowBlock - 1) / RowBlock;
    internal long TileBytes => (long)RowBlock * Dimension * Storage.ElementBytes();
    internal long SegmentBytes => TileBytes * SegmentTiles;
    internal IReadOnlyList<byte[]> Segments => _segments;
    internal ReadOnlySpan<long> RowIds => _ids.AsSpan(0, _rows);
    internal ReadOnlySpan<float> RowScale => _scale.AsSpan(0, _rows);
    internal ReadOnlySpan<float> RowInvNorm => _invNorm.AsSpan(0, _rows);
    internal ReadOnlySpan<float> RowSqNorm => _sqNorm.AsSpan(0, _rows);

    /// <summary>True when the id is present and not removed.</summary>
    public bool Contains(long id) => _rowOf.ContainsKey(id);

    /// <summary>Appends <c>ids.Length</c> vectors given row-major in <paramref name="vectors"/>.</summary>
    /// <exception cref="ArgumentException">Shape mismatch, a negative or duplicate id, or non-finite values.</exception>
    public void Add(ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (vectors.Length != (long)ids.Length * Dimension)
            throw new ArgumentException($"{vectors.Length} values are not {ids.Length} vectors of dimension {Dimension}", nameof(vectors));
        var seen = new HashSet<long>();
        foreach (var id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), id, "Ids must be non-negative (-1 marks padding in results)");
            if (_rowOf.ContainsKey(id) || !seen.Add(id)) throw new ArgumentException($"Duplicate id {id}", nameof(ids));
        }
        if ((long)_rows + ids.Length > int.MaxValue - RowBlock)
            throw new InvalidOperationException("A vector set holds at most 2^31 rows; shard larger databases");
        EnsureRowCapacity(_rows + ids.Length);
        var stored = new float[Dimension];
        var i8 = new sbyte[Dimension];
        for (int i = 0; i < ids.Length; i++)
        {
            var x = vectors.Slice(i * Dimension, Dimension);
            float scale = 1f;
            switch (Storage)
            {
                case VectorStorage.Fp32: x.CopyTo(stored); break;
                case VectorStorage.Fp16: for (int j = 0; j < Dimension; j++) stored[j] = (float)(Half)x[j]; break;
                default:
                    scale = VectorEncoding.QuantizeInt8(x, i8);
                    for (int j = 0; j < Dimension; j++) stored[j] = i8[j];
                    break;
            }
            int row = _rows++;
            WriteRow(row, stored);
            (_scale[row], _invNorm[row], _sqNorm[row]) = VectorEncoding.RowFactors(stored, scale);
            _ids[row] = ids[i];
            _rowOf[ids[i]] = row;
        }
        _ranksDirty = true;
        _mirror?.MarkRowsAppended();
    }

    /// <summary>Removes the given ids (tombstones: space is reclaimed by <see cref="Compact"/>). Returns how
    /// many were present; absent ids are ignored.</summary>
    public int Remove(ReadOnlySpan<long> ids)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int removed = 0;
        foreach (var id in ids)
            if (_rowOf.Remove(id)) removed++;
        if (removed > 0) _ranksDirty = true;
        return removed;
    }

    /// <summary>Rewrites the storage without tombstones, keeping the order of the remaining rows.</summary>
    public void Compact()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Tombstones == 0) return;
        var oldSegments = _segments.ToArray();
        var (oldIds, oldScale, oldInv, oldSq, oldRows) = (_ids, _scale, _invNorm, _sqNorm, _rows);
        _segments.Clear();
        _ids = []; _scale = []; _invNorm = []; _sqNorm = [];
        _rows = 0;
        EnsureRowCapacity(_rowOf.Count);
        var buf = new byte[Dimension * Storage.ElementBytes()];
        for (int r = 0; r < oldRows; r++)
        {
            // A removed row may share its id with a later re-added row: only the row the id maps to is live.
            if (!_rowOf.TryGetValue(oldIds[r], out var live) || live != r) continue;
            int row = _rows++;
            CopyRowBytes(oldSegments, r, buf, toRow: false);
            CopyRowBytes(_segments, row, buf, toRow: true);
            (_ids[row], _scale[row], _invNorm[row], _sqNorm[row]) = (oldIds[r], oldScale[r], oldInv[r], oldSq[r]);
            _rowOf[oldIds[r]] = row;
        }
        _ranksDirty = true;
        _mirror?.Dispose();
        _mirror = null;
    }

    /// <summary>Recomputes each live row's rank among the sorted live ids (the kernel's tie-break key).</summary>
    internal (uint[] Ranks, long[] SortedIds) Ranks()
    {
        if (!_ranksDirty) return (_ranks, _sortedIds);
        int padded = Tiles * RowBlock;
        if (_ranks.Length < padded) _ranks = new uint[Math.Max(padded, 2 * _ranks.Length)];
        Array.Fill(_ranks, DeadRank);
        var live = new long[_rowOf.Count];
        var rows = new int[_rowOf.Count];
        int n = 0;
        for (int r = 0; r < _rows; r++)
            if (_rowOf.TryGetValue(_ids[r], out var rr) && rr == r) { live[n] = _ids[r]; rows[n] = r; n++; }
        Array.Sort(live, rows);
        for (int i = 0; i < n; i++) _ranks[rows[i]] = (uint)i;
        _sortedIds = live;
        _ranksDirty = false;
        _mirror?.MarkRanksChanged();
        return (_ranks, _sortedIds);
    }

    /// <summary>The device copy (created on first use); null when the set exceeds the device budget.</summary>
    internal DeviceMirror Mirror() => _mirror ??= new DeviceMirror(this);

    private void EnsureRowCapacity(int rows)
    {
        int tiles = (rows + RowBlock - 1) / RowBlock;
        while (_segments.Count * SegmentTiles < tiles) _segments.Add(new byte[SegmentBytes]);
        if (_ids.Length >= rows) return;
        int cap = Math.Max(Math.Max(rows, 2 * _ids.Length), 1024);
        cap = (cap + RowBlock - 1) / RowBlock * RowBlock;
        Array.Resize(ref _ids, cap);
        Array.Resize(ref _scale, cap);
        Array.Resize(ref _invNorm, cap);
        Array.Resize(ref _sqNorm, cap);
    }

    /// <summary>Segment of a row and the element index of its dimension 0 there (dimension j is at
    /// base + j * RowBlock): a row never straddles segments.</summary>
    private int RowBase(int row, out int segment)
    {
        int tile = row / RowBlock;
        segment = tile / SegmentTiles;
        return (tile % SegmentTiles) * RowBlock * Dimension + row % RowBlock;
    }

    private void WriteRow(int row, ReadOnlySpan<float> stored)
    {
        int b = RowBase(row, out int s);
        var seg = _segments[s];
        switch (Storage)
        {
            case VectorStorage.Fp32:
                var f = MemoryMarshal.Cast<byte, float>(seg.AsSpan());
                for (int j = 0; j < Dimension; j++) f[b + j * RowBlock] = stored[j];
                break;
            case VectorStorage.Fp16:
                var h = MemoryMarshal.Cast<byte, Half>(seg.AsSpan());
                for (int j = 0; j < Dimension; j++) h[b + j * RowBlock] = (Half)stored[j];
                break;
            default:
                for (int j = 0; j < Dimension; j++) seg[b + j * RowBlock] = (byte)(sbyte)stored[j];
                break;
        }
    }

    private void CopyRowBytes(IReadOnlyList<byte[]> segments, int row, byte[] buf, bool toRow)
    {
        int es = Storage.ElementBytes();
        int b = RowBase(row, out int s);
        var seg = segments[s];
        for (int j = 0; j < Dimension; j++)
        {
            var rowPart = seg.AsSpan((b + j * RowBlock) * es, es);
            var bufPart = buf.AsSpan(j * es, es);
            if (toRow) bufPart.CopyTo(rowPart); else rowPart.CopyTo(bufPart);
        }
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        _mirror?.Dispose();
        _mirror = null;
    }
}
