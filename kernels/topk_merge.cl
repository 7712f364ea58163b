// topk_merge.cl — combines sorted per-split / per-chunk composite lists into one top-k list per query,
// and turns composites into (score, external id) results. Merging is rank-based: an entry's output
// position is its index in its own list plus, for every other list, how many entries there beat it
// (binary search). Composites are unique, so positions are unique and the result is deterministic.
#include "scan_common.h"

#ifndef MERGE_WG
#define MERGE_WG 64      // work-group size of the merge kernels (host passes the same value)
#endif

// in[(q * nlists + s) * kin + j]: nlists descending lists per query, 0-padded.
// out[q * kout + p]: must be zero-filled by the host; receives the best kout entries.
// Grid: dim0 = nlists * kin entries, dim1 = queries.
__kernel KERNEL_BOUNDS(MERGE_WG) void merge_lists(const __global ulong* restrict in, int nlists, int kin, int kout,
                                                  __global ulong* restrict out)
{
    const idx_t i = GID0;
    const int q = (int)get_global_id(1);
    if (i >= (idx_t)nlists * kin) return;
    const __global ulong* base = in + (idx_t)q * nlists * kin;
    const ulong c = base[i];
    if (c == 0) return;
    const int s = (int)(i / kin);
    int pos = (int)(i % kin);
    for (int t = 0; t < nlists && pos < kout; t++)
        if (t != s) pos += count_greater(base + (idx_t)t * kin, kin, c);
    if (pos < kout) out[(idx_t)q * kout + pos] = c;
}

// Two-list merge for chunk accumulation: a[(q0 + q) * ka + j] and b[q * kb + j] (descending, 0-padded)
// into out[(q0 + q) * kout + p], which must be zero-filled. Grid: dim0 = ka + kb entries, dim1 = queries.
__kernel KERNEL_BOUNDS(MERGE_WG) void merge_two(const __global ulong* restrict a, int ka,
                                                const __global ulong* restrict b, int kb, int kout, int q0,
                                                __global ulong* restrict out)
{
    const int i = (int)get_global_id(0);
    const int q = (int)get_global_id(1);
    if (i >= ka + kb) return;
    const __global ulong* la = a + (idx_t)(q0 + q) * ka;
    const __global ulong* lb = b + (idx_t)q * kb;
    const ulong c = i < ka ? la[i] : lb[i - ka];
    if (c == 0) return;
    const int pos = i < ka ? i + count_greater(lb, kb, c) : (i - ka) + count_greater(la, ka, c);
    if (pos < kout) out[(idx_t)(q0 + q) * kout + pos] = c;
}

// Composite -> (score, id). Empty entries become id -1 with score -inf (IP, cosine) or +inf (L2).
// sorted_ids[rank] is the external id of rank. Grid: dim0 = total entries.
__kernel KERNEL_BOUNDS(MERGE_WG) void finish_results(const __global ulong* restrict comp, long total, int metric,
                                                     const __global long* restrict sorted_ids,
                                                     __global float* restrict scores, __global long* restrict ids)
{
    const idx_t i = GID0;
    if (i >= total) return;
    const ulong c = comp[i];
    if (c == 0)
    {
        ids[i] = -1;
        scores[i] = metric == METRIC_L2 ? as_float(0x7F800000) : as_float((int)0xFF800000u);
        return;
    }
    const float key = key_from_order((uint)(c >> 32));
    const uint rank = DEAD_RANK - (uint)(c & 0xFFFFFFFFul);
    ids[i] = sorted_ids[rank];
    scores[i] = metric == METRIC_L2 ? 0.0f - key : key;   // 0 - key, not -key: a zero distance reports +0
}
