// Typed launchers for the scan kernels (scan_topk.cl, topk_merge.cl, select_k.cl): one place that
// knows their argument lists, #defines and launch geometry.
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Search;

/// <summary>Device buffers describing one prepared query batch (padded to the query tile).</summary>
internal readonly record struct QueryBuffers(DeviceBuffer Queries, DeviceBuffer QNorm, int Count, int Padded, int QueryTile);

/// <summary>Filter and range arguments shared by both scan kernels.</summary>
internal readonly record struct ScanPredicate(DeviceBuffer Allow, long AllowBits, bool UseFilter, ulong InitThreshold,
    bool CountHits, DeviceBuffer HitCount, Metric Metric);

internal sealed class ScanKernels
{
    public const int MergeWg = 64;
    /// <summary>Work-group size of the select/sort kernels (ScanTuning.PickSelectGroupSize): 256 on GPUs; 1 on
    /// CPU devices, where a group's work-items run serially and the histogram's local atomics only add cost.</summary>
    private readonly int _selectWg;
    private const int GatherWg = 256;
    private readonly ComputeDevice _device;
    private readonly int _d;
    private readonly VectorStorage _storage;
    private readonly int _rpw;
    private readonly int _queryBlock;

    public ScanKernels(ComputeDevice device, int dimension, VectorStorage storage, int rowsPerWorkItem, int selectWg, int queryBlock = 0)
    {
        _device = device; _d = dimension; _storage = storage; _rpw = rowsPerWorkItem; _selectWg = selectWg; _queryBlock = queryBlock;
    }

    /// <summary>Work-group size of the scan kernels: one tile of rows, RPW rows per work-item.</summary>
    private int Wg => VectorSet.RowBlock / _rpw;

    private KernelDefines ScanDefines(int qt, int kf)
    {
        var defines = new KernelDefines()
            .Set("ROWS", VectorSet.RowBlock).Set("QT", qt).Set("RPW", _rpw).Set("KF", kf).Set("DTYPE", (int)_storage);
        // The tensor-core dot products score the whole query tile at once.
        return UseTensorCores(qt) ? defines.Set("QB", qt).Set("TC", 1) : defines.Set("QB", ScanTiles.BlockFor(qt, _queryBlock));
    }

    /// <summary>The opt-in tensor-core dot products (kernels/scan_tc.h, <see cref="TensorCores"/>) cover fp16
    /// storage with one row per work-item and query tiles of whole 16-row mma tiles; other shapes stay portable.</summary>
    private bool UseTensorCores(int qt) =>
        _storage == VectorStorage.Fp16 && _rpw == 1 && qt % 16 == 0 && VectorSet.RowBlock % 32 == 0 && TensorCores.UseFor(_device);

    private ComputeKernel Merge(string entry) =>
        _device.GetKernel("topk_merge.cl", entry, new KernelDefines().Set("MERGE_WG", MergeWg));

    private ComputeKernel Select(string entry) =>
        _device.GetKernel("select_k.cl", entry, new KernelDefines().Set("SEL_WG", _selectWg).Set("GATHER_WG", GatherWg));

    private KernelArgs Common(QueryBuffers q, ScanChunk c, ScanPredicate p) => new KernelArgs()
        .Buffer(q.Queries).Buffer(c.Db).Buffer(p.Metric == Metric.Cosine ? c.InvNorm : c.Scale).Buffer(c.SqNorm)
        .Buffer(q.QNorm).Buffer(c.Ranks).Buffer(c.Ids).Buffer(p.Allow).Long(p.AllowBits)
        .Int((int)p.Metric).Int(p.UseFilter ? 1 : 0).Int(p.CountHits ? 1 : 0).Int(_d);

    /// <summary>Fused scan of tiles [tileBegin, tileBegin + tileCount) into out[(q * nsplit + s) * k + j].</summary>
    public void ScanTopK(ComputeStream s, QueryBuffers q, ScanChunk c, ScanPredicate p, int tileBegin, int tileCount,
        int tilesPerSplit, int nsplit, int k, int kf, DeviceBuffer output)
    {
        var kernel = _device.GetKernel("scan_topk.cl", "scan_topk", ScanDefines(q.QueryTile, kf));
        var args = Common(q, c, p).Int(tileBegin).Int(tileCount).Int(tilesPerSplit).Int(nsplit).Int(k)
            .Long((long)p.InitThreshold).Buffer(output).Buffer(p.HitCount);
        s.Launch(kernel, [(long)(q.Padded / q.QueryTile) * Wg, nsplit], [Wg, 1], args);
    }

    /// <summary>Composites of query tiles [qTile0, qTile0 + qTiles) × tiles [tileBegin, tileBegin + tileCount) into
    /// out[(query - qTile0*QT) * ld + row - tileBegin*ROWS].</summary>
    public void ScanScores(ComputeStream s, QueryBuffers q, ScanChunk c, ScanPredicate p, int tileBegin, int tileCount,
        int qTile0, int qTiles, long ld, DeviceBuffer output)
    {
        var kernel = _device.GetKernel("scan_topk.cl", "scan_scores", ScanDefines(q.QueryTile, ScanTuning.ListCapacities[0]));
        var args = Common(q, c, p).Int(tileBegin).Int(qTile0).Int(q.Count).Long(ld).Long((long)p.InitThreshold)
            .Buffer(output).Buffer(p.HitCount);
        s.Launch(kernel, [(long)tileCount * Wg, qTiles], [Wg, 1], args);
    }

    /// <summary>nlists descending lists of kin per query → best kout per query (out is zero-filled here).</summary>
    public void MergeLists(ComputeStream s, DeviceBuffer input, int nq, int nlists, int kin, int kout, DeviceBuffer output)
    {
        s.Fill(output, 0u, 0, (long)nq * kout * 8);
        var args = new KernelArgs().Buffer(input).Int(nlists).Int(kin).Int(kout).Buffer(output);
        s.Launch(Merge("merge_lists"), [(long)nlists * kin, nq], [MergeWg, 1], args);
    }

    /// <summary>Merges a[(q0+q)*ka..] and b[q*kb..] into out[(q0+q)*kout..] for nq queries (that range of
    /// out is zero-filled here).</summary>
    public void MergeTwo(ComputeStream s, DeviceBuffer a, int ka, DeviceBuffer b, int kb, int q0, int nq, int kout, DeviceBuffer output)
    {
        s.Fill(output, 0u, (long)q0 * kout * 8, (long)nq * kout * 8);
        var args = new KernelArgs().Buffer(a).Int(ka).Buffer(b).Int(kb).Int(kout).Int(q0).Buffer(output);
        s.Launch(Merge("merge_two"), [ka + kb, nq], [MergeWg, 1], args);
    }

    /// <summary>Composites → scores and ids.</summary>
    public void Finish(ComputeStream s, DeviceBuffer comp, long total, Metric metric, DeviceBuffer sortedIds,
        DeviceBuffer scores, DeviceBuffer ids)
    {
        var args = new KernelArgs().Buffer(comp).Long(total).Int((int)metric).Buffer(sortedIds).Buffer(scores).Buffer(ids);
        s.Launch(Merge("finish_results"), [total], [MergeWg], args);
    }

    /// <summary>Per query of nq: the k-th largest composite of comp[q*ld .. q*ld+n).</summary>
    public void RadixSelect(ComputeStream s, DeviceBuffer comp, long ld, int n, int nq, int k, DeviceBuffer thresh)
    {
        var args = new KernelArgs().Buffer(comp).Long(ld).Int(n).Int(k).Buffer(thresh);
        s.Launch(Select("radix_select"), [(long)nq * _selectWg], [_selectWg], args);
    }

    /// <summary>Entries ≥ thresh into out[q*p ..] (zero-filled here), then sorted descending.</summary>
    public void GatherAndSort(ComputeStream s, DeviceBuffer comp, long ld, int n, int nq, DeviceBuffer thresh, int p,
        DeviceBuffer count, DeviceBuffer output)
    {
        s.Fill(output, 0u, 0, (long)nq * p * 8);
        s.Fill(count, 0u, 0, (long)nq * 4);
        var g = new KernelArgs().Buffer(comp).Long(ld).Int(n).Buffer(thresh).Int(p).Buffer(count).Buffer(output);
        s.Launch(Select("gather_selected"), [n, nq], [GatherWg, 1], g);
        s.Launch(Select("sort_desc"), [(long)nq * _selectWg], [_selectWg], new KernelArgs().Buffer(output).Int(p));
    }
}
