// attention.cl — fused scaled-dot-product attention Y = softmax(scale · A·B) · V per batch, with A [L, D],
// B [D, S] (element (t, d, j) at B[t·b_batch + d·b_row + j·b_col], so K can be read untransposed) and V [S, DV].
// One work-group of TILE items per (query row, batch): the row of A sits in local memory; keys are taken
// TILE at a time, item t computing score t of the tile, which stays in local memory (scores are never
// written to global memory); an online softmax (running max m and sum l, the accumulators rescaled by
// exp(m_old − m_new)) folds each tile into the DV outputs, item t owning columns t, t + TILE, ...
// Launch: global (TILE · L, batch), local (TILE, 1). Defines: TILE, MAX_D (≥ D), ACC (≥ DV / TILE, rounded up).
// CUDA with TC=1 (opt-in, compute capability 8.0+) adds sdpa_tc below: the same attention on tensor cores.
#include "common.h"
#include "tensor_core.h"

#ifndef TILE
#define TILE 64
#endif
#ifndef MAX_D
#define MAX_D 64
#endif
#ifndef ACC
#define ACC 1
#endif

__kernel void sdpa(const int L, const int S, const int D, const int DV, const float scale,
                   const __global float* restrict a, const idx_t a_off, const idx_t a_batch,
                   const __global float* restrict b, const idx_t b_off, const idx_t b_batch, const idx_t b_row, const idx_t b_col,
                   const __global float* restrict v, const idx_t v_off, const idx_t v_batch,
                   __global float* restrict y, const idx_t y_off) {
    __local float arow[MAX_D];
    __local float p[TILE];
    const int t = (int)get_local_id(0), i = (int)get_group_id(0), bi = (int)get_group_id(1);
    const __global float* ap = a + a_off + bi * a_batch + (idx_t)i * D;
    const __global float* bp = b + b_off + bi * b_batch;
    const __global float* vp = v + v_off + bi * v_batch;
    for (int d = t; d < D; d += TILE) arow[d] = ap[d];
    float acc[ACC];
    for (int c = 0; c < ACC; c++) acc[c] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 < S; j0 += TILE) {
        const int n = min(TILE, S - j0);
        barrier(CLK_LOCAL_MEM_FENCE); // arow is loaded; the previous tile's p is no longer read
        if (t < n) {
            const __global float* col = bp + (idx_t)(j0 + t) * b_col;
            float s = 0.0f;
            for (int d = 0; d < D; d++) s += arow[d] * col[(idx_t)d * b_row];
            p[t] = s * scale;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        float mt = m;
        for (int j = 0; j < n; j++) mt = fmax(mt, p[j]);
        // exp(−inf − −inf) would be NaN: with nothing seen yet there is nothing to rescale.
        const float corr = m == -INFINITY ? 0.0f : exp(m - mt);
        barrier(CLK_LOCAL_MEM_FENCE); // every item has read the raw scores
        if (t < n) p[t] = exp(p[t] - mt);
        barrier(CLK_LOCAL_MEM_FENCE);
        float sum = 0.0f;
        for (int j = 0; j < n; j++) sum += p[j];
        l = l * corr + sum;
        for (int c = 0; c < ACC; c++) {
            const int col = t + c * TILE;
            if (col >= DV) break;
            float s = acc[c] * corr;
            for (int j = 0; j < n; j++) s += p[j] * vp[(idx_t)(j0 + j) * DV + col];
            acc[c] = s;
        }
        m = mt;
    }
    __global float* yp = y + y_off + ((idx_t)bi * L + i) * DV;
    const float r = 1.0f / l;
    for (int c = 0; c < ACC; c++) {
        const int col = t + c * TILE;
        if (col < DV) yp[col] = acc[c] * r;
    }
}

#if TC
// Tensor-core attention: one warp per 16 query rows of one batch (local (32, 1), global (32 · ceil(L/16), batch)).
// Q·Kᵀ and P·V are mma.m16n8k16 (fp16 inputs, fp32 accumulation); the scale, the running max/sum and the
// rescaling stay fp32, as in sdpa. The score tile's accumulator layout is the A-fragment layout of P·V, so
// probabilities go from registers to tensor cores without local memory. Rounding Q, K, P and V to fp16 is
// why this path is opt-in. Defines: MAX_D (multiple of 16, ≥ D), DV_TILES (≥ DV / 8).
#ifndef DV_TILES
#define DV_TILES 8
#endif
#if MAX_D % 16 != 0
#error "sdpa_tc needs MAX_D to be a multiple of 16"
#endif
#define TC_KEYS 64 // keys per step: 8 score tiles of 8 columns

__kernel KERNEL_BOUNDS(32)
void sdpa_tc(const int L, const int S, const int D, const int DV, const float scale,
             const __global float* restrict a, const idx_t a_off, const idx_t a_batch,
             const __global float* restrict b, const idx_t b_off, const idx_t b_batch, const idx_t b_row, const idx_t b_col,
             const __global float* restrict v, const idx_t v_off, const idx_t v_batch,
             __global float* restrict y, const idx_t y_off) {
    const int lane = LID0, g = lane >> 2, cq = lane & 3;
    const int i0 = (int)get_group_id(0) * 16, bi = (int)get_group_id(1);
    const __global float* ap = a + a_off + bi * a_batch;
    const __global float* bp = b + b_off + bi * b_batch;
    const __global float* vp = v + v_off + bi * v_batch;
    // Rows and dims past L and D read as 0 (zero rows are not written; zero dims add nothing).
#define TC_Q(r, k) ((r) < L && (k) < D ? ap[(idx_t)(r) * D + (k)] : 0.0f)
#define TC_K(k, j) ((k) < D && (j) < S ? bp[(idx_t)(k) * b_row + (idx_t)(j) * b_col] : 0.0f)
#define TC_V(j, n) ((j) < S && (n) < DV ? vp[(idx_t)(j) * DV + (n)] : 0.0f)
    const int r0 = i0 + g, r1 = r0 + 8;
    uint qf[MAX_D / 16][4];
    for (int ks = 0; ks < MAX_D / 16; ks++) {
        const int k = ks * 16 + 2 * cq;
        qf[ks][0] = tc_pack(TC_Q(r0, k), TC_Q(r0, k + 1));
        qf[ks][1] = tc_pack(TC_Q(r1, k), TC_Q(r1, k + 1));
        qf[ks][2] = tc_pack(TC_Q(r0, k + 8), TC_Q(r0, k + 9));
        qf[ks][3] = tc_pack(TC_Q(r1, k + 8), TC_Q(r1, k + 9));
    }
    float o[DV_TILES][4];
    for (int t = 0; t < DV_TILES; t++)
        for (int e = 0; e < 4; e++) o[t][e] = 0.0f;
    // Row g (accumulator elements 0, 1) and row g + 8 (elements 2, 3): running max, and this lane's share
    // of the running sum (the four lanes of a row are added once at the end).
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;
    for (int j0 = 0; j0 < S; j0 += TC_KEYS) {
        float s[8][4];
        for (int nt = 0; nt < 8; nt++) {
            for (int e = 0; e < 4; e++) s[nt][e] = 0.0f;
            const int j = j0 + nt * 8 + g;
            for (int ks = 0; ks < MAX_D / 16; ks++) {
                const int k = ks * 16 + 2 * cq;
                uint kf[2];
                kf[0] = tc_pack(TC_K(k, j), TC_K(k + 1, j));
                kf[1] = tc_pack(TC_K(k + 8, j), TC_K(k + 9, j));
                tc_mma(s[nt], qf[ks], kf);
            }
        }
        float mx0 = m0, mx1 = m1;
        for (int nt = 0; nt < 8; nt++)
            for (int e = 0; e < 4; e++) {
                const int col = j0 + nt * 8 + 2 * cq + (e & 1);
                const float x = col < S ? s[nt][e] * scale : -INFINITY;
                s[nt][e] = x;
                if (e < 2) mx0 = fmax(mx0, x); else mx1 = fmax(mx1, x);
            }
        mx0 = fmax(mx0, tc_shfl_xor(mx0, 1)); mx0 = fmax(mx0, tc_shfl_xor(mx0, 2));
        mx1 = fmax(mx1, tc_shfl_xor(mx1, 1)); mx1 = fmax(mx1, tc_shfl_xor(mx1, 2));
        // exp(−inf − −inf) would be NaN: with nothing seen yet there is nothing to rescale.
        const float c0 = m0 == -INFINITY ? 0.0f : exp(m0 - mx0), c1 = m1 == -INFINITY ? 0.0f : exp(m1 - mx1);
        float sum0 = 0.0f, sum1 = 0.0f;
        for (int nt = 0; nt < 8; nt++)
            for (int e = 0; e < 4; e++) {
                const float p = exp(s[nt][e] - (e < 2 ? mx0 : mx1));
                s[nt][e] = p;
                if (e < 2) sum0 += p; else sum1 += p;
            }
        l0 = l0 * c0 + sum0;
        l1 = l1 * c1 + sum1;
        for (int t = 0; t < DV_TILES; t++) { o[t][0] *= c0; o[t][1] *= c0; o[t][2] *= c1; o[t][3] *= c1; }
        for (int kk = 0; kk < TC_KEYS / 16; kk++) {
            uint pf[4];
            pf[0] = tc_pack(s[2 * kk][0], s[2 * kk][1]);
            pf[1] = tc_pack(s[2 * kk][2], s[2 * kk][3]);
            pf[2] = tc_pack(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            pf[3] = tc_pack(s[2 * kk + 1][2], s[2 * kk + 1][3]);
            const int j = j0 + kk * 16 + 2 * cq;
            for (int t = 0; t < DV_TILES; t++) {
                const int n = t * 8 + g;
                uint vf[2];
                vf[0] = tc_pack(TC_V(j, n), TC_V(j + 1, n));
                vf[1] = tc_pack(TC_V(j + 8, n), TC_V(j + 9, n));
                tc_mma(o[t], pf, vf);
            }
        }
        m0 = mx0; m1 = mx1;
    }
    l0 += tc_shfl_xor(l0, 1); l0 += tc_shfl_xor(l0, 2);
    l1 += tc_shfl_xor(l1, 1); l1 += tc_shfl_xor(l1, 2);
    const float q0 = 1.0f / l0, q1 = 1.0f / l1;
    for (int t = 0; t < DV_TILES; t++)
        for (int e = 0; e < 4; e++) {
            const int r = e < 2 ? r0 : r1, n = t * 8 + 2 * cq + (e & 1);
            if (r < L && n < DV) y[y_off + ((idx_t)bi * L + r) * DV + n] = o[t][e] * (e < 2 ? q0 : q1);
        }
#undef TC_Q
#undef TC_K
#undef TC_V
}
#endif
