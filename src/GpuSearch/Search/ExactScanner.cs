// Runs one exact search over a VectorSet: prepares the queries, walks the set's chunks (resident or
// streamed) and picks the fused scan (k ≤ FusedMaxK) or the score-block + radix-select path, then
// merges per-chunk lists and converts composites to (score, id).
using GpuSearch.Compute;
using GpuSearch.Models.Tuning;

namespace GpuSearch.Search;

internal static class ExactScanner
{
    /// <summary>Q×k ids and scores (padded with -1 / ∓inf) and, for range search, per-query hit counts.</summary>
    public static (long[] Ids, float[] Scores, int[] Hits) Run(VectorSet set, ReadOnlySpan<float> queries, int k,
        Metric metric, IdFilter? filter, float? rangeThreshold, ScanTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(set);
        ObjectDisposedException.ThrowIf(set.IsDisposed, set);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int d = set.Dimension;
        if (queries.Length % d != 0)
            throw new ArgumentException($"{queries.Length} query values are not a whole number of vectors of dimension {d}", nameof(queries));
        int nq = queries.Length / d;
        if ((long)nq * k > int.MaxValue / 2) throw new ArgumentOutOfRangeException(nameof(k), k, $"Q×k = {(long)nq * k} is too large for one call; split the batch");
        var ids = new long[(long)nq * k];
        var scores = new float[(long)nq * k];
        var hits = new int[nq];
        // First use of a device with nothing tuned: a budgeted tuning run (off under CI; GPUSEARCH_LAZY_TUNING, TUNING.md).
        if (tuning.Tiles is null) LazyScanTuning.EnsureTuned(set.Device);
        // k beyond the live count cannot be satisfied: run with the count and pad on the host.
        int kEff = (int)Math.Min(k, set.Count);
        if (nq == 0) return (ids, scores, hits);
        if (kEff == 0) { Pad(ids, scores, 0, k, metric); return (ids, scores, hits); }

        // Bound the per-call lists (a few Q×k composites on the device) by running query batches.
        long perQuery = (long)kEff * 8 * 4 + (long)Math.Min(kEff, tuning.FusedMaxK) * 8 * 64;
        // At most 32,768 queries a pass: some scan kernels put the queries on grid dim 1, which CUDA caps at 65,535.
        int batch = (int)Math.Clamp(tuning.ScratchBytes / perQuery, 1, Math.Min(nq, 32768));
        if (batch >= 32) batch = batch / 32 * 32;
        for (int q0 = 0; q0 < nq; q0 += batch)
        {
            int bq = Math.Min(batch, nq - q0);
            RunBatch(set, queries.Slice(q0 * d, bq * d), bq, kEff, metric, filter, rangeThreshold, tuning,
                ids.AsSpan((int)((long)q0 * k)), scores.AsSpan((int)((long)q0 * k)), k, hits.AsSpan(q0, bq));
        }
        if (kEff < k) Pad(ids, scores, kEff, k, metric);
        return (ids, scores, hits);
    }

    /// <summary>One batch of nq queries: results into row-major views with row stride k (first kEff columns).</summary>
    private static void RunBatch(VectorSet set, ReadOnlySpan<float> queries, int nq, int kEff, Metric metric,
        IdFilter? filter, float? rangeThreshold, ScanTuning tuning, Span<long> ids, Span<float> scores, int k, Span<int> hits)
    {
        int d = set.Dimension;
        var dev = set.Device;
        var s = dev.Stream;
        var mirror = set.Mirror();
        var kernels = new ScanKernels(dev, d, set.Storage, tuning.PickRowsPerWorkItem(dev.Info, set.Storage),
            tuning.PickSelectGroupSize(dev.Info), tuning.PickQueryBlock(dev.Info, set.Storage));
        bool fused = kEff <= tuning.FusedMaxK;
        int kf = tuning.PickListCapacity(kEff);
        int qt = tuning.PickQueryTile(nq, dev.Info, fused ? kf : 0, set.Storage);
        int nqPad = (nq + qt - 1) / qt * qt;
        using var pool = new BufferPool(dev, mirror.Scratch);

        var (qdata, qnorm) = PrepareQueries(queries, nq, nqPad, d, metric);
        var qb = new QueryBuffers(pool.Upload<float>(s, qdata), pool.Upload<float>(s, qnorm), nq, nqPad, qt);
        var allow = filter is null ? pool.Alloc(8) : pool.Upload(s, filter.Words);
        var hitBuf = pool.Alloc((long)nqPad * 4);
        s.Fill(hitBuf, 0u);
        ulong init = rangeThreshold is { } t ? Composite.RangeThreshold(metric, t) : 0;
        var pred = new ScanPredicate(allow, filter?.Bits ?? 0, filter is not null, init, rangeThreshold is not null, hitBuf, metric);

        long listBytes = (long)nq * kEff * 8;
        var running = pool.Alloc(listBytes);
        var spare = pool.Alloc(listBytes);
        s.Fill(running, 0u);
        DeviceBuffer? partial = null, chunkOut = null, comps = null, thresh = null, sel = null, count = null;
        bool first = true;
        foreach (var chunk in mirror.Chunks(s))
        {
            if (fused)
            {
                int qTiles = nqPad / qt;
                int nsplit = tuning.PickSplits(dev.Info, qTiles, chunk.TileCount);
                int tps = (chunk.TileCount + nsplit - 1) / nsplit;
                nsplit = (chunk.TileCount + tps - 1) / tps;
                partial = pool.Reuse(partial, (long)nqPad * nsplit * kEff * 8);
                kernels.ScanTopK(s, qb, chunk, pred, chunk.TileBegin, chunk.TileCount, tps, nsplit, kEff, kf, partial);
                if (first) kernels.MergeLists(s, partial, nq, nsplit, kEff, kEff, running);
                else
                {
                    chunkOut = pool.Reuse(chunkOut, listBytes);
                    kernels.MergeLists(s, partial, nq, nsplit, kEff, kEff, chunkOut);
                    kernels.MergeTwo(s, running, kEff, chunkOut, kEff, 0, nq, kEff, spare);
                    (running, spare) = (spare, running);
                }
            }
            else
            {
                int p = 1;
                while (p < kEff) p <<= 1;
                // Score block: qBlock queries × subTiles tiles of composites within the scratch budget.
                long perTileQuery = 8L * VectorSet.RowBlock;
                int subTiles = (int)Math.Clamp(tuning.ScratchBytes / (perTileQuery * qt), 1, chunk.TileCount);
                int qBlockTiles = (int)Math.Clamp(tuning.ScratchBytes / (perTileQuery * qt * subTiles), 1, nqPad / qt);
                int qBlock = qBlockTiles * qt;
                long ld = (long)subTiles * VectorSet.RowBlock;
                comps = pool.Reuse(comps, qBlock * ld * 8);
                thresh = pool.Reuse(thresh, (long)qBlock * 8);
                count = pool.Reuse(count, (long)qBlock * 4);
                sel = pool.Reuse(sel, (long)qBlock * p * 8);
                for (int t0 = 0; t0 < chunk.TileCount; t0 += subTiles)
                {
                    int tc = Math.Min(subTiles, chunk.TileCount - t0);
                    int n = tc * VectorSet.RowBlock;
                    for (int q0 = 0; q0 < nq; q0 += qBlock)
                    {
                        int bq = Math.Min(qBlock, nq - q0);
                        int bTiles = (bq + qt - 1) / qt;
                        kernels.ScanScores(s, qb, chunk, pred, chunk.TileBegin + t0, tc, q0 / qt, bTiles, ld, comps);
                        kernels.RadixSelect(s, comps, ld, n, bq, kEff, thresh);
                        kernels.GatherAndSort(s, comps, ld, n, bq, thresh, p, count, sel);
                        kernels.MergeTwo(s, running, kEff, sel, p, q0, bq, kEff, spare);
                        s.Copy(spare, running, (long)bq * kEff * 8, (long)q0 * kEff * 8, (long)q0 * kEff * 8);
                    }
                }
            }
            first = false;
        }

        var scoreBuf = pool.Alloc((long)nq * kEff * 4);
        var idBuf = pool.Alloc(listBytes);
        kernels.Finish(s, running, (long)nq * kEff, metric, mirror.SortedIds(s), scoreBuf, idBuf);
        var outIds = s.Download<long>(idBuf, (long)nq * kEff);
        var outScores = s.Download<float>(scoreBuf, (long)nq * kEff);
        s.Download<int>(hitBuf, hits[..nq]);
        for (int q = 0; q < nq; q++)
        {
            outIds.AsSpan(q * kEff, kEff).CopyTo(ids.Slice(q * k, kEff));
            outScores.AsSpan(q * kEff, kEff).CopyTo(scores.Slice(q * k, kEff));
        }
    }

    /// <summary>Fills columns [from, k) of every query with id -1 and the worst score.</summary>
    private static void Pad(long[] ids, float[] scores, int from, int k, Metric metric)
    {
        float worst = metric.IsAscending() ? float.PositiveInfinity : float.NegativeInfinity;
        for (long q = 0; q < ids.Length / k; q++)
            for (int j = from; j < k; j++) { ids[q * k + j] = -1; scores[q * k + j] = worst; }
    }

    /// <summary>Queries padded to whole tiles; cosine normalizes them, L2 needs their squared norms. The
    /// arithmetic is the documented definition (fma-chain norms, correctly rounded 1/sqrt, then one multiply).</summary>
    internal static (float[] Queries, float[] QNorm) PrepareQueries(ReadOnlySpan<float> queries, int nq, int nqPad, int d, Metric metric)
    {
        var q = new float[(long)nqPad * d];
        var qn = new float[nqPad];
        for (int i = 0; i < nq; i++)
        {
            var src = queries.Slice(i * d, d);
            var dst = q.AsSpan(i * d, d);
            if (metric == Metric.Cosine)
            {
                float inv = VectorEncoding.InverseNorm(VectorEncoding.SquaredNorm(src));
                for (int j = 0; j < d; j++) dst[j] = src[j] * inv;
            }
            else src.CopyTo(dst);
            if (metric == Metric.L2) qn[i] = VectorEncoding.SquaredNorm(src);
        }
        return (q, qn);
    }
}
