// scan_topk.cl — exact k-NN scan. scan_topk: each work-group scores a tile of QT queries against a
// contiguous range ("split") of database tiles and keeps every query's best k composites in local
// memory, so the Q×N score matrix never reaches global memory; topk_merge.cl combines the splits.
// scan_scores: the same scoring loop writing composites for the large-k path (select_k.cl).
//
// Layout (VectorSet): tile t holds rows [t*ROWS, (t+1)*ROWS) stored dimension-major, element (row r,
// dim j) at t*ROWS*d + j*ROWS + (r - t*ROWS). Work-item w scores rows [w*RPW, (w+1)*RPW) of a tile
// against the group's QT queries, QB queries at a time, with QB×RPW accumulators in registers (a GEMM
// micro-tile): every loaded element is reused QB times and every query value RPW times.
//   GPUs: RPW = 1, QB = QT (work-item = row: loads coalesce across the warp, query values broadcast).
//   PoCL (AVX-512): RPW = 64, QB = 2: the unrolled block is straight-line code that LLVM's SLP vectorizer
//   turns into 16 ymm accumulators, 8 row loads and 2 broadcasts per dimension - no spills (QB×RPW =
//   32×16 needed 64 ymm registers and spilled every fma). Work-item-loop vectorization is not relied on:
//   loop counters that cross barriers defeat it, so the hot loop has no barrier at all.
// Queries are fp32, row-major, padded with zero rows to a multiple of QT.
//
// Exactness: each accumulator is one fma chain over dimensions 0..d-1 in order, so scores are
// bit-identical to the host reference whatever the tiling.
#include "scan_common.h"
// CUDA-only tensor-core dot products (opt-in, TC=1); empty otherwise.
#include "scan_tc.h"

// Work-items per work-group: each handles RPW consecutive rows of the tile.
#define WG (ROWS / RPW)
#if ROWS % RPW != 0
#error "RPW must divide ROWS"
#endif

// Queries per register block (QB): the QT queries of a work-group are scored QB at a time so the QB×RPW
// accumulators stay in vector registers (QT×RPW = 32×16 needs 64 ymm registers and spilled every fma on PoCL).
#ifndef QB
#define QB QT
#endif
#if QT % QB != 0
#error "QB must divide QT"
#endif
#if TC && QB != QT
#error "the tensor-core dot products score the whole query tile at once (QB == QT)"
#endif

// acc[q][r] = sum_j fma(query[q][j], x[row r][j]) for rows [w*RPW, (w+1)*RPW) of tile t, QB queries.
inline void dot_tile(const __global float* restrict qr, const __global store_t* restrict xb, int d, float acc[QB][RPW])
{
#pragma unroll
    for (int q = 0; q < QB; q++)
#pragma unroll
        for (int r = 0; r < RPW; r++) acc[q][r] = 0.0f;
    for (int j = 0; j < d; j++)
    {
        float xv[RPW];
#pragma unroll
        for (int r = 0; r < RPW; r++) xv[r] = LOADX(xb, (idx_t)j * ROWS + r);
#pragma unroll
        for (int q = 0; q < QB; q++)
        {
            const float qv = qr[(idx_t)q * d + j];
#pragma unroll
            for (int r = 0; r < RPW; r++) acc[q][r] = SCAN_FMA(qv, xv[r], acc[q][r]);
        }
    }
}

// Grid: dim0 = query tiles (work-groups of WG work-items), dim1 = nsplit. Query tiles vary fastest so
// work-groups that run at the same time read the same database rows (shared cache on CPUs, L2 on GPUs).
// out[(query * nsplit + split) * k + j] receives each split's best k composites, descending, 0-padded.
// init_thr: a composite every candidate must exceed (0 for k-NN; the range threshold for range search).
__kernel KERNEL_BOUNDS(WG) void scan_topk(
    const __global float* restrict queries, const __global store_t* restrict db,
    const __global float* restrict rowf, const __global float* restrict rown,
    const __global float* restrict qnorm, const __global uint* restrict ranks,
    const __global long* restrict ids, const __global uint* restrict allow, long allow_bits,
    int metric, int use_filter, int count_hits,
    int d, int tile_begin, int tile_count, int tiles_per_split, int nsplit, int k, ulong init_thr,
    __global ulong* restrict out, __global int* restrict hit_count)
{
    __local ulong list[QT][KF];
    __local ulong cand[QT][ROWS];
    __local int ncand[QT];
    __local ulong thr[QT];
    __local float thr_key[QT];
    __local int hits[QT];

    const int lid = LID0;
    const int qtile = (int)get_group_id(0);
    const int split = (int)get_group_id(1);
    // Range search counts every hit above init_thr, so its float pre-test stays at that threshold.
    const float init_key = init_thr == 0 ? as_float((int)0xFF800000u) : key_from_order((uint)(init_thr >> 32));
    for (int i = lid; i < QT * KF; i += WG) list[i / KF][i % KF] = 0;
    for (int q = lid; q < QT; q += WG) { ncand[q] = 0; thr[q] = init_thr; thr_key[q] = init_key; hits[q] = 0; }
    barrier(CLK_LOCAL_MEM_FENCE);

    const __global float* qr = queries + (idx_t)qtile * QT * d;
    const int t0 = tile_begin + split * tiles_per_split;
    const int t1 = min(t0 + tiles_per_split, tile_begin + tile_count);
    for (int t = t0; t < t1; t++)
    {
        const idx_t row0 = (idx_t)t * ROWS + lid * RPW;
        for (int q0 = 0; q0 < QT; q0 += QB)
        {
            float acc[QB][RPW];
#if TC
            dot_tile_tc(qr, db + (idx_t)t * ROWS * d, d, acc, (float*)&cand[0][0]); // QB == QT; cand is free until the filter
#else
            dot_tile(qr + (idx_t)q0 * d, db + (idx_t)t * ROWS * d + lid * RPW, d, acc);
#endif

            // Filter: a cheap float test over the RPW rows (vectorizable: no branches, no 64-bit keys)
            // rejects almost every (query, row) once the lists are full; survivors take the exact path.
            // !(key < tk) also lets NaN keys through, which the exact composite maps to -inf.
            for (int qb = 0; qb < QB; qb++)
            {
                const int q = q0 + qb;
                const float tk = thr_key[q], qn = qnorm[qtile * QT + q];
                int any = 0;
#pragma unroll
                for (int r = 0; r < RPW; r++) any |= !(score_key(metric, acc[qb][r], rowf[row0 + r], rown[row0 + r], qn) < tk);
                if (!any) continue;
                for (int r = 0; r < RPW; r++)
                {
                    const uint rank = ranks[row0 + r];
                    if (rank == DEAD_RANK || (use_filter && !id_allowed(allow, allow_bits, ids[row0 + r]))) continue;
                    const ulong c = make_comp(score_key(metric, acc[qb][r], rowf[row0 + r], rown[row0 + r], qn), rank);
                    if (c > thr[q])
                    {
                        const int slot = atomic_inc(&ncand[q]);
                        cand[q][slot] = c;
                    }
                    if (count_hits && c > init_thr) atomic_inc(&hits[q]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // Fold each query's candidates into its sorted list (insertion; candidates are few once the
        // list is full because they must beat the current k-th best).
        for (int q = lid; q < QT; q += WG)
        {
            const int m = ncand[q];
            for (int i = 0; i < m; i++)
            {
                const ulong c = cand[q][i];
                if (c <= list[q][k - 1]) continue;
                int j = k - 1;
                while (j > 0 && list[q][j - 1] < c) { list[q][j] = list[q][j - 1]; j--; }
                list[q][j] = c;
            }
            ncand[q] = 0;
            const ulong kth = list[q][k - 1];
            thr[q] = kth > init_thr ? kth : init_thr;
            if (!count_hits && thr[q] != 0) thr_key[q] = key_from_order((uint)(thr[q] >> 32));
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = lid; i < QT * k; i += WG)
    {
        const int q = i / k, j = i % k;
        out[(((idx_t)qtile * QT + q) * nsplit + split) * k + j] = list[q][j];
    }
    if (count_hits)
        for (int q = lid; q < QT; q += WG)
            if (hits[q] > 0) atomic_add(&hit_count[qtile * QT + q], hits[q]);
}

// Large-k path: composites of every (query, row) of tiles [tile_begin, tile_begin + tile_count) for
// query tile qtile0 + get_group_id(1): out[(query - qtile0*QT) * ld + (t - tile_begin) * ROWS + row in
// tile]; 0 for rows that are removed, padding, filtered out, or (range search) not above init_thr.
// With count_hits, hit_count counts the nonzero entries per query.
// Grid: dim0 = tile_count work-groups of WG work-items, dim1 = query tiles.
__kernel KERNEL_BOUNDS(WG) void scan_scores(
    const __global float* restrict queries, const __global store_t* restrict db,
    const __global float* restrict rowf, const __global float* restrict rown,
    const __global float* restrict qnorm, const __global uint* restrict ranks,
    const __global long* restrict ids, const __global uint* restrict allow, long allow_bits,
    int metric, int use_filter, int count_hits,
    int d, int tile_begin, int qtile0, int nq, long ld, ulong init_thr,
    __global ulong* restrict out, __global int* restrict hit_count)
{
    __local int hits[QT];
    const int lid = LID0;
    const int tl = (int)get_group_id(0);
    const int qtile = qtile0 + (int)get_group_id(1);
    const int t = tile_begin + tl;
    for (int q = lid; q < QT; q += WG) hits[q] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);

#if TC
    __local float tc_scratch[QT * ROWS];
#endif
    for (int q0 = 0; q0 < QT; q0 += QB)
    {
        float acc[QB][RPW];
#if TC
        dot_tile_tc(queries + (idx_t)qtile * QT * d, db + (idx_t)t * ROWS * d, d, acc, tc_scratch); // QB == QT
#else
        dot_tile(queries + ((idx_t)qtile * QT + q0) * d, db + (idx_t)t * ROWS * d + lid * RPW, d, acc);
#endif
        for (int r = 0; r < RPW; r++)
        {
            const idx_t row = (idx_t)t * ROWS + lid * RPW + r;
            const uint rank = ranks[row];
            int valid = rank != DEAD_RANK;
            if (valid && use_filter) valid = id_allowed(allow, allow_bits, ids[row]);
            const float f = rowf[row], nn = rown[row];
            for (int qb = 0; qb < QB; qb++)
            {
                const int q = q0 + qb, qi = qtile * QT + q;
                const ulong c = make_comp(score_key(metric, acc[qb][r], f, nn, qnorm[qi]), rank);
                const int keep = valid && c > init_thr;
                if (qi < nq) out[(idx_t)(qi - qtile0 * QT) * ld + (idx_t)tl * ROWS + lid * RPW + r] = keep ? c : 0;
                if (count_hits && keep && qi < nq) atomic_inc(&hits[q]);
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (count_hits)
        for (int q = lid; q < QT; q += WG)
            if (hits[q] > 0) atomic_add(&hit_count[qtile * QT + q], hits[q]);
}
