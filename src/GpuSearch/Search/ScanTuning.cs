// Tunables of the exact scan, chosen per device and batch; each maps to a #define of the kernels.
using GpuSearch.Compute;

namespace GpuSearch.Search;

/// <summary>Kernel tunables. The defaults pick values per device; set a property to override (benchmarks).</summary>
internal sealed record ScanTuning
{
    /// <summary>Largest k the fused kernel handles (its local list capacity); above it the radix-select path runs.</summary>
    public int FusedMaxK { get; init; } = 256;

    /// <summary>Queries per work-group (QT); null = by batch size (1, 4, 16 or 32).</summary>
    public int? QueryTile { get; init; }

    /// <summary>Database rows per work-item (RPW); null = 16 on CPU devices (SIMD over rows inside a
    /// work-item), 1 on GPUs (work-item = row). Must divide 64.</summary>
    public int? RowsPerWorkItem { get; init; }

    /// <summary>Work-group size of the radix-select and sort kernels (SEL_WG); null = 1 on CPU devices (no local
    /// atomics), 256 on GPUs.</summary>
    public int? SelectGroupSize { get; init; }

    /// <summary>Work-groups to aim for per compute unit when splitting the database (load balance).</summary>
    public int GroupsPerComputeUnit { get; init; } = 8;

    /// <summary>Device bytes for the large-k path's score block (query block × row block composites).</summary>
    public long ScratchBytes { get; init; } = 256L << 20;

    /// <summary>The defaults.</summary>
    public static ScanTuning Default { get; } = new();

    /// <summary>Fused list capacities compiled (KF); the smallest one ≥ k is used.</summary>
    internal static readonly int[] ListCapacities = [32, 256];

    /// <summary>QT for a batch of <paramref name="nq"/>, shrunk (to a power of two) until the fused kernel's
    /// local lists and candidate buffers (QT × (KF + 64) composites) fit the device's local memory.</summary>
    internal int PickQueryTile(int nq, DeviceInfo info, int listCapacity)
    {
        int qt;
        if (QueryTile is { } fixedQt)
        {
            if (fixedQt is < 1 or > VectorSet.RowBlock) throw new ArgumentOutOfRangeException(nameof(QueryTile), fixedQt, $"QT must be in [1, {VectorSet.RowBlock}]");
            qt = fixedQt;
        }
        else qt = nq <= 1 ? 1 : nq <= 4 ? 4 : nq <= 16 ? 16 : 32;
        long perQuery = (listCapacity + VectorSet.RowBlock) * 8L + 16;
        while (qt > 1 && qt * perQuery > info.LocalMemoryBytes - 1024) qt = (qt + 1) / 2;
        return qt;
    }

    internal int PickRowsPerWorkItem(DeviceInfo info)
    {
        int rpw = RowsPerWorkItem ?? (info.IsCpu ? 16 : 1);
        if (rpw < 1 || VectorSet.RowBlock % rpw != 0)
            throw new ArgumentOutOfRangeException(nameof(RowsPerWorkItem), rpw, $"RPW must divide {VectorSet.RowBlock}");
        return rpw;
    }

    internal int PickSelectGroupSize(DeviceInfo info)
    {
        int wg = SelectGroupSize ?? (info.IsCpu ? 1 : 256);
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
        long target = (long)Math.Max(1, info.ComputeUnits) * GroupsPerComputeUnit;
        long splits = Math.Max(1, (target + queryTiles - 1) / queryTiles);
        return (int)Math.Clamp(splits, 1, Math.Max(1, tiles));
    }
}
