// Tunables of the exact scan, chosen per device and batch; each maps to a #define of the kernels. A property left
// null takes the device's tuned value (`gpusearch tune`, Models/Tuning/TunedScanTiles), else its class default.
using System.Numerics;
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Search;

/// <summary>Kernel tunables. The defaults pick values per device (tuned, else the device class's); set a property to
/// override (benchmarks, tests).</summary>
internal sealed record ScanTuning
{
    /// <summary>Largest k the fused kernel handles (its local list capacity); above it the radix-select path runs.</summary>
    public int FusedMaxK { get; init; } = 256;

    /// <summary>Scan tunables to use instead of the device's tuned or class default ones (the tuner's candidates);
    /// the individual properties below still override them.</summary>
    public ScanTiles? Tiles { get; init; }

    /// <summary>Queries per work-group (QT); null = by batch size (1, 4 or 16; above 16 the tuned batch tile, or the batch
    /// rounded up to a power of two when that is smaller, so a batch of 20 is not padded to 64).</summary>
    public int? QueryTile { get; init; }

    /// <summary>Database rows per work-item (RPW); null = tuned (class defaults: 64 on AVX-512 CPUs, 32 on AVX2, SIMD over
    /// rows inside a work-item; 1 on GPUs, work-item = row). Must divide 64.</summary>
    public int? RowsPerWorkItem { get; init; }

    /// <summary>Queries per register block (QB, see <see cref="ScanTiles.QueryBlock"/>); null = tuned (class defaults: 2
    /// on AVX-512 CPUs, 0 = whole query tile on GPUs).</summary>
    public int? QueryBlock { get; init; }

    /// <summary>Work-group size of the radix-select and sort kernels (SEL_WG); null = tuned (class defaults: 1 on CPU
    /// devices, no local atomics; 256 on GPUs).</summary>
    public int? SelectGroupSize { get; init; }

    /// <summary>Work-groups to aim for per compute unit when splitting the database (load balance); null = tuned
    /// (class default 8).</summary>
    public int? GroupsPerComputeUnit { get; init; }

    /// <summary>Device bytes for the large-k path's score block (query block × row block composites).</summary>
    public long ScratchBytes { get; init; } = 256L << 20;

    /// <summary>The defaults.</summary>
    public static ScanTuning Default { get; } = new();

    /// <summary>Fused list capacities compiled (KF); the smallest one ≥ k is used.</summary>
    internal static readonly int[] ListCapacities = [32, 256];

    /// <summary>QT for a batch of <paramref name="nq"/>, shrunk (to a power of two) until the fused kernel's
    /// local lists and candidate buffers (QT × (KF + 64) composites) fit the device's local memory.</summary>
    internal int PickQueryTile(int nq, DeviceInfo info, int listCapacity, VectorStorage storage = VectorStorage.Fp32)
    {
        int qt;
        if (QueryTile is { } fixedQt)
        {
            if (fixedQt is < 1 or > VectorSet.RowBlock) throw new ArgumentOutOfRangeException(nameof(QueryTile), fixedQt, $"QT must be in [1, {VectorSet.RowBlock}]");
            qt = fixedQt;
        }
        else qt = nq <= 1 ? 1 : nq <= 4 ? 4 : nq <= 16 ? 16 : Math.Min(Resolve(info, storage).BatchQueryTile, (int)BitOperations.RoundUpToPowerOf2((uint)nq));
        long perQuery = (listCapacity + VectorSet.RowBlock) * 8L + 16;
        while (qt > 1 && qt * perQuery > info.LocalMemoryBytes - 1024) qt = (qt + 1) / 2;
        return qt;
    }

    internal int PickRowsPerWorkItem(DeviceInfo info, VectorStorage storage = VectorStorage.Fp32)
    {
        int rpw = RowsPerWorkItem ?? Resolve(info, storage).RowsPerWorkItem;
        if (rpw < 1 || VectorSet.RowBlock % rpw != 0)
            throw new ArgumentOutOfRangeException(nameof(RowsPerWorkItem), rpw, $"RPW must divide {VectorSet.RowBlock}");
        return rpw;
    }

    /// <summary>The configured query block (0 = whole tile); the launch takes <see cref="ScanTiles.BlockFor"/> of its tile.</summary>
    internal int PickQueryBlock(DeviceInfo info, VectorStorage storage = VectorStorage.Fp32)
    {
        int qb = QueryBlock ?? Resolve(info, storage).QueryBlock;
        if (qb is < 0 or > VectorSet.RowBlock) throw new ArgumentOutOfRangeException(nameof(QueryBlock), qb, $"QB must be in [0, {VectorSet.RowBlock}]");
        return qb;
    }

    internal int PickSelectGroupSize(DeviceInfo info)
    {
        int wg = SelectGroupSize ?? Math.Min(Resolve(info).SelectGroupSize, info.MaxWorkGroupSize);
        if (wg < 1 || wg > info.MaxWorkGroupSize)
            throw new ArgumentOutOfRangeException(nameof(SelectGroupSize), wg, $"Must be in [1, {info.MaxWorkGroupSize}]");
        return wg;
    }

    internal int PickListCapacity(int k)
    {
        foreach (var c in ListCapacities)
            if (k <= c && c <= Math.Max(FusedMaxK, ListCapacities[0])) return c;
        return FusedMaxK;
    }

    internal int PickSplits(DeviceInfo info, int queryTiles, int tiles)
    {
        int perCu = GroupsPerComputeUnit ?? Resolve(info).GroupsPerComputeUnit;
        if (perCu < 1) throw new ArgumentOutOfRangeException(nameof(GroupsPerComputeUnit), perCu, "Must be at least 1");
        long target = (long)Math.Max(1, info.ComputeUnits) * perCu;
        long splits = Math.Max(1, (target + queryTiles - 1) / queryTiles);
        return (int)Math.Clamp(splits, 1, Math.Max(1, tiles));
    }

    /// <summary>The device's tiles for a storage type. fp16 rows are widened by several integer operations per element
    /// (PoCL's vload_half is an out-of-line call), which pays only over many queries: where the tiles block queries
    /// (CPUs), fp16 scores the whole query tile per block on at most 16 rows × 32 queries (measured on the AVX-512 VM:
    /// 24 GFLOP per CPU-second, against 2 with 64 rows × 2 queries and 9 with 16 rows × 8 queries).</summary>
    private ScanTiles Resolve(DeviceInfo info, VectorStorage storage = VectorStorage.Fp32)
    {
        var t = Tiles ?? TunedScanTiles.For(info);
        if (storage == VectorStorage.Fp16 && t.QueryBlock > 0)
            t = t with { RowsPerWorkItem = Math.Min(t.RowsPerWorkItem, 16), BatchQueryTile = Math.Min(t.BatchQueryTile, 32), QueryBlock = 0 };
        return t;
    }
}
