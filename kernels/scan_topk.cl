// scan_topk.cl — exact k-NN scan. scan_topk: each work-group scores a tile of QT queries against a
// contiguous range ("split") of database tiles and keeps every query's best k composites in local
// memory, so the Q×N score matrix never reaches global memory; topk_merge.cl combines the splits.
// scan_scores: the same scoring loop writing composites for the large-k path (select_k.cl).
//
// Layout (VectorSet): tile t holds rows [t*ROWS, (t+1)*ROWS) stored dimension-major, element (row r,
// dim j) at t*ROWS*d + j*ROWS + (r - t*ROWS). Work-item = row, so loads are unit-stride across the
// work-group (vector loads on PoCL, coalesced on GPUs) and every query value is a broadcast.
// Queries are fp32, row-major, padded with zero rows to a multiple of QT.
//
// Exactness: each accumulator is one fma chain over dimensions 0..d-1 in order, so scores are
// bit-identical to the host reference whatever the tiling.
#include "scan_common.h"

#if QT > ROWS
#error "QT must not exceed ROWS: work-item q merges query q's candidates"
#endif

// acc[q] = sum_j fma(query[q][j], x[j]) for this work-item's row. The barrier after every DC-step is
// for PoCL: it ends a parallel region, so each region is straight-line code whose work-item loop
// the vectorizer turns into SIMD across rows. No data is exchanged across it.
inline void dot_tile(const __global float* restrict qb, const __global store_t* restrict xb, int d, float* acc)
{
    for (int q = 0; q < QT; q++) acc[q] = 0.0f;
    int j0 = 0;
    for (; j0 + DC <= d; j0 += DC)
    {
        float xv[DC];
#pragma unroll
        for (int j = 0; j < DC; j++) xv[j] = LOADX(xb, (idx_t)(j0 + j) * ROWS);
#pragma unroll
        for (int q = 0; q < QT; q++)
        {
            float a = acc[q];
            const __global float* qr = qb + (idx_t)q * d + j0;
#pragma unroll
            for (int j = 0; j < DC; j++) a = SCAN_FMA(qr[j], xv[j], a);
            acc[q] = a;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (; j0 < d; j0++)
    {
        float x = LOADX(xb, (idx_t)j0 * ROWS);
#pragma unroll
        for (int q = 0; q < QT; q++) acc[q] = SCAN_FMA(qb[(idx_t)q * d + j0], x, acc[q]);
    }
}

// Grid: dim0 = nsplit work-groups of ROWS work-items, dim1 = query tiles (one work-group each).
// out[(query * nsplit + split) * k + j] receives each split's best k composites, descending, 0-padded.
// init_thr: a composite every candidate must exceed (0 for k-NN; the range threshold for range search).
__kernel KERNEL_BOUNDS(ROWS) void scan_topk(
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
    __local int hits[QT];

    const int lid = LID0;
    const int split = (int)get_group_id(0);
    const int qtile = (int)get_group_id(1);
    for (int i = lid; i < QT * KF; i += ROWS) list[i / KF][i % KF] = 0;
    if (lid < QT) { ncand[lid] = 0; thr[lid] = init_thr; hits[lid] = 0; }
    barrier(CLK_LOCAL_MEM_FENCE);

    const __global float* qb = queries + (idx_t)qtile * QT * d;
    float qn[QT];
    for (int q = 0; q < QT; q++) qn[q] = qnorm[qtile * QT + q];

    const int t0 = tile_begin + split * tiles_per_split;
    const int t1 = min(t0 + tiles_per_split, tile_begin + tile_count);
    for (int t = t0; t < t1; t++)
    {
        float acc[QT];
        dot_tile(qb, db + (idx_t)t * ROWS * d + lid, d, acc);

        const idx_t row = (idx_t)t * ROWS + lid;
        const uint rank = ranks[row];
        int valid = rank != DEAD_RANK;
        if (valid && use_filter) valid = id_allowed(allow, allow_bits, ids[row]);
        const float f = rowf[row], nn = rown[row];
        for (int q = 0; q < QT; q++)
        {
            const ulong c = make_comp(score_key(metric, acc[q], f, nn, qn[q]), rank);
            if (valid && c > thr[q])
            {
                const int slot = atomic_inc(&ncand[q]);
                cand[q][slot] = c;
            }
            if (count_hits && valid && c > init_thr) atomic_inc(&hits[q]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // Work-item q folds query q's candidates into its sorted list (insertion; candidates are few
        // once the list is full because they must beat the current k-th best).
        if (lid < QT)
        {
            const int m = ncand[lid];
            for (int i = 0; i < m; i++)
            {
                const ulong c = cand[lid][i];
                if (c <= list[lid][k - 1]) continue;
                int j = k - 1;
                while (j > 0 && list[lid][j - 1] < c) { list[lid][j] = list[lid][j - 1]; j--; }
                list[lid][j] = c;
            }
            ncand[lid] = 0;
            const ulong kth = list[lid][k - 1];
            thr[lid] = kth > init_thr ? kth : init_thr;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = lid; i < QT * k; i += ROWS)
    {
        const int q = i / k, j = i % k;
        out[(((idx_t)qtile * QT + q) * nsplit + split) * k + j] = list[q][j];
    }
    if (count_hits && lid < QT && hits[lid] > 0) atomic_add(&hit_count[qtile * QT + lid], hits[lid]);
}

// Large-k path: composites of every (query, row) of tiles [tile_begin, tile_begin + tile_count) for
// query tile qtile0 + get_group_id(1). out[(query - qtile0*QT) * ld + (t - tile_begin) * ROWS + lid]; 0 for rows that are
// removed, padding, filtered out, or (range search) not above init_thr. With count_hits, hit_count counts
// the nonzero entries per query.
// Grid: dim0 = tile_count work-groups of ROWS, dim1 = query tiles.
__kernel KERNEL_BOUNDS(ROWS) void scan_scores(
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
    if (lid < QT) hits[lid] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);

    float acc[QT];
    dot_tile(queries + (idx_t)qtile * QT * d, db + (idx_t)t * ROWS * d + lid, d, acc);

    const idx_t row = (idx_t)t * ROWS + lid;
    const uint rank = ranks[row];
    int valid = rank != DEAD_RANK;
    if (valid && use_filter) valid = id_allowed(allow, allow_bits, ids[row]);
    const float f = rowf[row], nn = rown[row];
    for (int q = 0; q < QT; q++)
    {
        const int qi = qtile * QT + q;
        const ulong c = make_comp(score_key(metric, acc[q], f, nn, qnorm[qi]), rank);
        const int keep = valid && c > init_thr;
        if (qi < nq) out[(idx_t)(qi - qtile0 * QT) * ld + (idx_t)tl * ROWS + lid] = keep ? c : 0;
        if (count_hits && keep && qi < nq) atomic_inc(&hits[q]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (count_hits && lid < QT && hits[lid] > 0) atomic_add(&hit_count[qtile * QT + lid], hits[lid]);
}
