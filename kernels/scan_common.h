// scan_common.h — shared by scan_topk.cl, select_k.cl and topk_merge.cl: the tunable defaults, the
// storage-type loads, the exact score arithmetic and the 64-bit "composite" sort key.
//
// Composite key: high 32 bits = the score mapped to an order-preserving uint (higher = better; L2
// uses -distance), low 32 bits = ~rank, where rank is the row's position in the set's sorted id list.
// One unsigned 64-bit compare therefore orders by score and breaks ties by the lower external id, and
// every valid composite is unique and > 0, so 0 marks "empty". This is what makes every stage
// (scan, merge, select, chunk and shard merges) deterministic.
#ifndef GPUSEARCH_SCAN_COMMON_H
#define GPUSEARCH_SCAN_COMMON_H
#include "common.h"

// ---- Tunables (the host passes its choices; these are the defaults) ----
#ifndef ROWS
#define ROWS 64          // database rows per tile = work-group size = the VectorSet's layout block
#endif
#ifndef QT
#define QT 16            // queries per work-group (accumulators per work-item)
#endif
#ifndef RPW
#define RPW 1            // database rows per work-item (1 on GPUs; 16-64 on CPU devices such as PoCL)
#endif
#ifndef KF
#define KF 32            // capacity of each per-query list in the fused kernel (k rounded up)
#endif
#ifndef DTYPE
#define DTYPE DTYPE_F32  // database storage type (common.h)
#endif
// The dot product's multiply-add. The reference sums with fused multiply-adds. PoCL 3.1's fma()
// builtin is an out-of-line call that blocks vectorization (measured 8x slower), while a*b+c under
// -cl-mad-enable / FP_CONTRACT becomes llvm.fmuladd, which targets with FMA (AVX-512, every CUDA GPU;
// NVRTC contracts by default) emit as one fused instruction - the exact-equality tests check this.
#ifndef SCAN_FMA
#define SCAN_FMA(a, b, c) ((a) * (b) + (c))
#endif

// Metric codes (runtime arguments: the branch sits outside the dot-product loop).
#define METRIC_IP 0
#define METRIC_COS 1
#define METRIC_L2 2

// Rank of a removed row or of the zero padding at the end of the last tile.
#define DEAD_RANK 0xFFFFFFFFu

#if DTYPE == DTYPE_F32
typedef float store_t;
#define LOADX(p, i) ((p)[i])
#elif DTYPE == DTYPE_F16
#ifdef CUDA
typedef half store_t;
#define LOADX(p, i) vload_half((i), (p))
#else
// fp16 bits as ushort, widened with integer and power-of-two float operations (exact for every half):
// PoCL's vload_half is an out-of-line call that keeps the dot-product loop scalar (measured ~4x slower).
typedef ushort store_t;
inline float half_bits_to_float(uint h)
{
    const uint em = h & 0x7FFFu;
    // Normal: move exponent and mantissa into place and rebias by 2^112 (exact). Subnormal: m * 2^-24
    // (exact: m < 1024). Inf/NaN: all-ones exponent.
    float f = as_float((int)(em << 13)) * 5.192296858534828e33f;
    f = em < 0x400u ? (float)em * 5.9604644775390625e-8f : f;
    f = em >= 0x7C00u ? as_float((int)(0x7F800000u | ((em & 0x3FFu) << 13))) : f;
    return as_float((int)(as_uint(f) | ((h & 0x8000u) << 16)));
}
#define LOADX(p, i) half_bits_to_float((p)[i])
#endif
#else
typedef signed char store_t;
#define LOADX(p, i) ((float)(p)[i])
#endif

// Order-preserving map float -> uint. NaN becomes -inf (worst) and -0 becomes +0, so floats that
// compare equal get equal keys and the id tie rule applies to them.
inline uint order_key(float f)
{
    uint u = as_uint(f);
    if (f != f) u = 0xFF800000u;
    if (u == 0x80000000u) u = 0u;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline float key_from_order(uint k)
{
    uint u = (k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k;
    return as_float(u);
}

inline ulong make_comp(float key, uint rank)
{
    return ((ulong)order_key(key) << 32) | (ulong)(DEAD_RANK - rank);
}

// Score of one (query, row) pair from the raw dot product, as a "higher is better" key. The order of
// operations is fixed (and mirrored by the host reference): IP r*s; cosine r*(1/|x|); L2 -(max(0,
// fma(-2, r*s, |q|^2 + |x|^2))). rowf holds s (IP, L2) or 1/|x| (cosine); rown holds |x|^2.
inline float score_key(int metric, float r, float rowf, float rown, float qn)
{
    if (metric == METRIC_L2) return -fmax(fma(-2.0f, r * rowf, qn + rown), 0.0f);
    return r * rowf;
}

// Allow-list bitmap test over 64-bit external ids; ids outside the bitmap are not allowed.
inline int id_allowed(const __global uint* allow, long allow_bits, long id)
{
    if (id < 0 || id >= allow_bits) return 0;
    return (int)((allow[id >> 5] >> (uint)(id & 31)) & 1u);
}

// Number of entries of a descending composite list that are strictly greater than c.
inline int count_greater(const __global ulong* list, int n, ulong c)
{
    int lo = 0, hi = n;
    while (lo < hi)
    {
        int mid = (lo + hi) >> 1;
        if (list[mid] > c) lo = mid + 1; else hi = mid;
    }
    return lo;
}

#endif
