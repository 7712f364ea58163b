// select_k.cl — the large-k path (k beyond what scan_topk's local lists hold): given every composite of
// a query block × row chunk (scan_scores), find each query's k-th largest composite by an 8-bit radix
// select, gather the entries at or above it, and sort them descending with a bitonic sort.
// Composites are unique, so "at or above the k-th" is exactly k entries: no tie handling is needed.
#include "scan_common.h"

#ifndef GATHER_WG
#define GATHER_WG 256    // work-group size of gather_selected (no local memory; any size works)
#endif
#ifndef SEL_WG
#define SEL_WG 256       // work-group size of the select and sort kernels (host passes the same value;
                         // 1 on CPU devices, where work-items of a group run one after another anyway)
#endif

// One work-group per query. comp[q * ld + i], i < n. thresh[q] receives the k-th largest nonzero
// composite (all nonzero entries if fewer than k; ~0 if none).
__kernel KERNEL_BOUNDS(SEL_WG) void radix_select(const __global ulong* restrict comp, long ld, int n, int k,
                                                 __global ulong* restrict thresh)
{
    __local uint hist[256];
    __local int need_s, done_s, sel_s;
    const int lid = LID0;
    const int q = (int)get_group_id(0);
    const __global ulong* v = comp + (idx_t)q * ld;
    ulong prefix = 0, mask = 0;
    if (lid == 0) { need_s = k; done_s = 0; }
    for (int pass = 0; pass < 8; pass++)
    {
        const int shift = 56 - 8 * pass;
        for (int b = lid; b < 256; b += SEL_WG) hist[b] = 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n; i += SEL_WG)
        {
            const ulong c = v[i];
#if SEL_WG == 1
            // One work-item per query (CPU devices): a plain increment, no atomic read-modify-write.
            if (c != 0 && (c & mask) == prefix) hist[(uint)(c >> shift) & 255u]++;
#else
            if (c != 0 && (c & mask) == prefix) atomic_inc(&hist[(uint)(c >> shift) & 255u]);
#endif
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0)
        {
            int need = need_s;
            if (pass == 0)
            {
                int total = 0;
                for (int b = 0; b < 256; b++) total += (int)hist[b];
                if (need > total) need = total;
            }
            int sel = -1, cum = 0;
            if (need > 0)
                for (int b = 255; b >= 0; b--)
                {
                    if (cum + (int)hist[b] >= need) { sel = b; break; }
                    cum += (int)hist[b];
                }
            sel_s = sel;
            // The whole selected bucket is taken: its lower bits do not matter any more.
            done_s = sel < 0 || (int)hist[sel] == need - cum;
            need_s = need - cum;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (sel_s < 0) { prefix = ~(ulong)0; break; }
        prefix |= (ulong)sel_s << shift;
        mask |= (ulong)0xFF << shift;
        const int done = done_s;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (done) break;
    }
    if (lid == 0) thresh[q] = prefix;
}

// out[q * kout + slot] for every entry >= thresh[q]; count[q] (zeroed by the host) ends as the number.
// Order within out is arbitrary; sort_desc fixes it. Grid: dim0 = n entries, dim1 = queries.
__kernel KERNEL_BOUNDS(GATHER_WG) void gather_selected(const __global ulong* restrict comp, long ld, int n,
                                                    const __global ulong* restrict thresh, int kout,
                                                    __global int* restrict count, __global ulong* restrict out)
{
    const int i = (int)get_global_id(0);
    const int q = (int)get_global_id(1);
    if (i >= n) return;
    const ulong c = comp[(idx_t)q * ld + i];
    if (c == 0 || c < thresh[q]) return;
    const int slot = atomic_inc(&count[q]);
    if (slot < kout) out[(idx_t)q * kout + slot] = c;
}

// Bitonic sort, descending, of data[q * p .. q * p + p) (p a power of two, unused entries 0).
// One work-group per query; the data stay in global memory (k may exceed local memory).
__kernel KERNEL_BOUNDS(SEL_WG) void sort_desc(__global ulong* restrict data, int p)
{
    const int lid = LID0;
    __global ulong* v = data + (idx_t)get_group_id(0) * p;
    for (int size = 2; size <= p; size <<= 1)
        for (int stride = size >> 1; stride > 0; stride >>= 1)
        {
            for (int i = lid; i < (p >> 1); i += SEL_WG)
            {
                const int lo = 2 * stride * (i / stride) + (i % stride);
                const int hi = lo + stride;
                const ulong a = v[lo], b = v[hi];
                const int descending = (lo & size) == 0;
                if (descending ? a < b : a > b) { v[lo] = b; v[hi] = a; }
            }
            barrier(CLK_GLOBAL_MEM_FENCE);
        }
}
