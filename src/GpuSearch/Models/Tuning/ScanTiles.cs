// The tunables of the exact scan (scan_topk.cl, select_k.cl) as one value the tuner measures and the cache
// stores; Search.ScanTuning falls back to the device's resolved ScanTiles for every property it leaves null.
namespace GpuSearch.Models.Tuning;

/// <summary>Scan kernel tunables of one device.</summary>
/// <param name="RowsPerWorkItem">Database rows per work-item (RPW): 1 on GPUs (a work-item is a row), 8–32 on CPUs
/// (SIMD over rows inside a work-item). Must divide 64, the rows of a tile.</param>
/// <param name="BatchQueryTile">Queries per work-group (QT) for batches of more than 16 queries; smaller batches use
/// 1, 4 or 16 by size. Shrunk at launch to what local memory holds.</param>
/// <param name="SelectGroupSize">Work-group size of the radix-select and sort kernels (large-k path): 1 on CPU
/// devices (no local atomics worth having), 128–256 on GPUs.</param>
/// <param name="GroupsPerComputeUnit">Work-groups per compute unit to aim for when the database is split (load balance
/// against per-split merge cost).</param>
/// <param name="QueryBlock">Queries scored per register block (QB): a work-item keeps QB × RPW accumulators in
/// registers and walks its QT queries QB at a time. 0 = the whole query tile at once (GPUs). On CPUs QB × RPW floats
/// must fit the vector registers (AVX-512: 2 × 64 = 16 of 32 ymm), or every fma spills.</param>
internal sealed record ScanTiles(int RowsPerWorkItem, int BatchQueryTile, int SelectGroupSize, int GroupsPerComputeUnit, int QueryBlock = 0)
{
    /// <summary>Rows of one database tile (VectorSet.RowBlock); RPW must divide it and QT may not exceed it.</summary>
    public const int TileRows = 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first tunable that is out of range.</summary>
    public void Validate()
    {
        if (RowsPerWorkItem < 1 || TileRows % RowsPerWorkItem != 0)
            throw new ArgumentOutOfRangeException(nameof(RowsPerWorkItem), RowsPerWorkItem, $"must divide {TileRows}");
        if (BatchQueryTile is < 1 or > TileRows)
            throw new ArgumentOutOfRangeException(nameof(BatchQueryTile), BatchQueryTile, $"must be in [1, {TileRows}]");
        if (SelectGroupSize is < 1 or > 1024 || (SelectGroupSize & (SelectGroupSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(SelectGroupSize), SelectGroupSize, "must be a power of two in [1, 1024]");
        if (GroupsPerComputeUnit is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(GroupsPerComputeUnit), GroupsPerComputeUnit, "must be in [1, 1024]");
        if (QueryBlock is < 0 or > TileRows)
            throw new ArgumentOutOfRangeException(nameof(QueryBlock), QueryBlock, $"must be in [0, {TileRows}] (0 = the whole query tile)");
    }

    /// <summary>The query block a launch with query tile <paramref name="queryTile"/> uses: the largest divisor of the
    /// tile that is at most <paramref name="queryBlock"/> (0 = the whole tile).</summary>
    public static int BlockFor(int queryTile, int queryBlock)
    {
        if (queryBlock <= 0 || queryBlock >= queryTile) return queryTile;
        int qb = queryBlock;
        while (queryTile % qb != 0) qb--;
        return qb;
    }

    /// <summary>"RPW 64, QT 64, QB 2, SEL_WG 1, 8 groups/CU".</summary>
    public override string ToString() =>
        $"RPW {RowsPerWorkItem}, QT {BatchQueryTile}, QB {(QueryBlock == 0 ? "QT" : QueryBlock)}, SEL_WG {SelectGroupSize}, {GroupsPerComputeUnit} groups/CU";
}
