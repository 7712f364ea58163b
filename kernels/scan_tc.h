// scan_tc.h — the opt-in tensor-core dot products of scan_topk.cl (CUDA, TC=1, compute capability 8.0+, fp16
// storage, one row per work-item). Included by scan_topk.cl after scan_common.h; empty unless TC.
//
// The work-group's QT × ROWS scores of one tile are mma.m16n8k16 tiles (M = queries, N = rows, K = dimensions),
// each warp taking 32 rows; they pass through `scratch` (QT·ROWS floats of local memory) to the work-item that
// owns each row, which then runs the scan's usual filter and list code. The database is fp16 already; each fp32
// query value is split into hi + lo (both fp16, hi·x and lo·x exact in fp32), two mma per step, so the query keeps
// ~22 bits. The accumulation order is the tensor core's, not the reference's fma chain over dimensions: scores
// are bit-identical to the portable path only where every partial sum is exact (small integers), which is what
// the parity tests check exactly; on real data they differ in the last bits, so this path is opt-in.
#ifndef GPUSEARCH_SCAN_TC_H
#define GPUSEARCH_SCAN_TC_H
#include "tensor_core.h"

#if TC
#if DTYPE != DTYPE_F16 || RPW != 1 || QT % 16 != 0 || ROWS % 32 != 0
#error "the tensor-core scan needs fp16 storage, RPW 1, QT a multiple of 16 and ROWS a multiple of 32"
#endif

// acc[q][0] = dot(query q, row LID0 of the tile at xt) for q < QT. Every work-item of the group must call it
// (it holds barriers); scratch may be reused by the caller once it returns.
inline void dot_tile_tc(const __global float* restrict qr, const __global store_t* restrict xt, int d,
                        float acc[QT][RPW], float* scratch)
{
    const int lid = LID0, lane = lid & 31, warp = lid >> 5, g = lane >> 2, cq = lane & 3;
    float c[QT / 16][4][4];
    for (int mt = 0; mt < QT / 16; mt++)
        for (int nt = 0; nt < 4; nt++)
            for (int e = 0; e < 4; e++) c[mt][nt][e] = 0.0f;
#define TC_X(k, r) ((k) < d ? xt[(idx_t)(k) * ROWS + (r)] : (ushort)0)
#define TC_Q(q, k) ((k) < d ? qr[(idx_t)(q) * d + (k)] : 0.0f)
    for (int k0 = 0; k0 < d; k0 += 16) {
        const int k = k0 + 2 * cq;
        uint fb[4][2];
        for (int nt = 0; nt < 4; nt++) {
            const int r = warp * 32 + nt * 8 + g;
            fb[nt][0] = tc_pack_bits(TC_X(k, r), TC_X(k + 1, r));
            fb[nt][1] = tc_pack_bits(TC_X(k + 8, r), TC_X(k + 9, r));
        }
        for (int mt = 0; mt < QT / 16; mt++) {
            const int q = mt * 16 + g;
            // A fragment element order: (q, k) (q, k+1) | (q+8, k) (q+8, k+1) | (q, k+8) (q, k+9) | (q+8, k+8) (q+8, k+9)
            const float x[8] = { TC_Q(q, k), TC_Q(q, k + 1), TC_Q(q + 8, k), TC_Q(q + 8, k + 1),
                                 TC_Q(q, k + 8), TC_Q(q, k + 9), TC_Q(q + 8, k + 8), TC_Q(q + 8, k + 9) };
            uint hi[4], lo[4];
            for (int e = 0; e < 4; e++) {
                const uint h0 = tc_f16_bits(x[2 * e]), h1 = tc_f16_bits(x[2 * e + 1]);
                hi[e] = h0 | (h1 << 16);
                lo[e] = tc_pack(x[2 * e] - tc_f16_to_float(h0), x[2 * e + 1] - tc_f16_to_float(h1));
            }
            for (int nt = 0; nt < 4; nt++) {
                tc_mma(c[mt][nt], hi, fb[nt]);
                tc_mma(c[mt][nt], lo, fb[nt]);
            }
        }
    }
#undef TC_X
#undef TC_Q
    for (int mt = 0; mt < QT / 16; mt++)
        for (int nt = 0; nt < 4; nt++)
            for (int e = 0; e < 4; e++)
                scratch[(mt * 16 + g + (e >> 1) * 8) * ROWS + warp * 32 + nt * 8 + 2 * cq + (e & 1)] = c[mt][nt][e];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < QT; q++) acc[q][0] = scratch[q * ROWS + lid];
    barrier(CLK_LOCAL_MEM_FENCE);
}
#endif

#endif
