// attention.cl — fused scaled-dot-product attention Y = softmax(scale · A·B) · V per batch, with A [L, D],
// B [D, S] (element (t, d, j) at B[t·b_batch + d·b_row + j·b_col], so K can be read untransposed) and V [S, DV].
// One work-group of TILE items per (query row, batch): the row of A sits in local memory; keys are taken
// TILE at a time, item t computing score t of the tile, which stays in local memory (scores are never
// written to global memory); an online softmax (running max m and sum l, the accumulators rescaled by
// exp(m_old − m_new)) folds each tile into the DV outputs, item t owning columns t, t + TILE, ...
// Launch: global (TILE · L, batch), local (TILE, 1). Defines: TILE, MAX_D (≥ D), ACC (≥ DV / TILE, rounded up).
#include "common.h"

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
