// attention_cpu.cl — scaled-dot-product attention on CPU devices (one work-item per work-group), with the operands of
// attention.cl's sdpa: Y[t] = softmax(scale · A[t]·B[t]) · V[t], B's element (t, d, j) at b_batch·t + b_row·d + b_col·j.
// sdpa gives each query row a work-group of 64 work-items that meet at barriers per key tile; PoCL runs those as loops
// around each barrier with scalar code, ~0.5 GFLOP/s. Here one work-item takes a batch entry and a range of query rows:
// it copies Kᵀ (keys contiguous, [D, S_PAD]) and V ([S, DV_PAD]) of its entry into local memory once, then for each
// block of ROWS query rows computes the scores with the float16 register tile of vec_mac.h, an exact softmax over the
// whole row (scores stay in local memory), and P·V with the same tile. Padding keys and value columns are zero.
// Launch: global (batch, ceil(L / q_rows)), local (1, 1). Defines: MAX_D (≥ D), S_PAD and DV_PAD (≥ S and DV, multiples
// of 16), ROWS (query rows per register tile).
#include "common.h"
// OpenCL only (float16 vectors); the host never runs it on CUDA, where the file compiles to nothing.
#ifndef CUDA
#include "vec_mac.h"

#ifndef ROWS
#define ROWS 6
#endif
#ifndef MAX_D
#define MAX_D 64
#endif
#ifndef S_PAD
#define S_PAD 64
#endif
#ifndef DV_PAD
#define DV_PAD 64
#endif

#define Q_AT(i, k) ql[(i) * MAX_D + (k)]
#define KT_ROW(k) (kt + (k) * S_PAD + j0)
#define P_AT(i, j) p[(i) * S_PAD + (j)]
#define V_ROW(j) (vl + (j) * DV_PAD + c0)

// Scores of the row block for keys [j0, j0 + 16·NV), scaled, into p.
#define SCORE_TILE(NV) {                                                                                   \
        float16 acc[ROWS][NV];                                                                             \
        VEC_ZERO(ROWS, NV, acc);                                                                           \
        VEC_MAC(ROWS, NV, acc, D, Q_AT, KT_ROW);                                                           \
        _Pragma("unroll") for (int i = 0; i < ROWS; i++)                                                   \
            _Pragma("unroll") for (int v = 0; v < (NV); v++) vstore16(acc[i][v] * scale, 0, p + i * S_PAD + j0 + 16 * v);    \
        j0 += 16 * (NV);                                                                                   \
    }

// Output columns [c0, c0 + 16·NV) of the row block: P·V over the S keys, divided by the row sums, rows past r_end unwritten.
#define OUT_TILE(NV) {                                                                                     \
        float16 acc[ROWS][NV];                                                                             \
        VEC_ZERO(ROWS, NV, acc);                                                                           \
        VEC_MAC(ROWS, NV, acc, S, P_AT, V_ROW);                                                            \
        for (int i = 0; i < ROWS && r0 + i < r_end; i++) {                                                 \
            __global float* yr = yp + (idx_t)(r0 + i) * DV;                                                \
            for (int v = 0; v < (NV); v++) {                                                               \
                const float16 o = acc[i][v] * inv[i];                                                      \
                const int c = c0 + 16 * v;                                                                 \
                if (c + 16 <= DV) vstore16(o, 0, yr + c);                                                  \
                else { float t[16]; vstore16(o, 0, t); for (int e = 0; c + e < DV; e++) yr[c + e] = t[e]; } \
            }                                                                                              \
        }                                                                                                  \
        c0 += 16 * (NV);                                                                                   \
    }

inline float hmax16(const float16 v) {
    const float8 a = fmax(v.lo, v.hi);
    const float4 b = fmax(a.lo, a.hi);
    const float2 c = fmax(b.lo, b.hi);
    return fmax(c.x, c.y);
}

inline float hsum16(const float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

__kernel void sdpa_cpu(const int L, const int S, const int D, const int DV, const float scale, const int q_rows,
                       const __global float* restrict a, const idx_t a_off, const idx_t a_batch,
                       const __global float* restrict b, const idx_t b_off, const idx_t b_batch, const idx_t b_row, const idx_t b_col,
                       const __global float* restrict v, const idx_t v_off, const idx_t v_batch,
                       __global float* restrict y, const idx_t y_off) {
    __local float kt[MAX_D * S_PAD];
    __local float vl[S_PAD * DV_PAD];
    __local float p[ROWS * S_PAD];
    __local float ql[ROWS * MAX_D];
    const int bi = (int)get_group_id(0);
    const int r_begin = (int)get_group_id(1) * q_rows, r_end = min(L, r_begin + q_rows);
    const __global float* ap = a + a_off + bi * a_batch;
    const __global float* bp = b + b_off + bi * b_batch;
    const __global float* vp = v + v_off + bi * v_batch;
    __global float* yp = y + y_off + (idx_t)bi * L * DV;
    for (int j = 0; j < S_PAD; j++)
        for (int d = 0; d < D; d++) kt[d * S_PAD + j] = j < S ? bp[(idx_t)d * b_row + (idx_t)j * b_col] : 0.0f;
    for (int j = 0; j < S; j++)
        for (int c = 0; c < DV_PAD; c++) vl[j * DV_PAD + c] = c < DV ? vp[(idx_t)j * DV + c] : 0.0f;

    for (int r0 = r_begin; r0 < r_end; r0 += ROWS) {
        // Rows past L re-read the last row (their results are never stored).
        for (int i = 0; i < ROWS; i++) {
            const __global float* ar = ap + (idx_t)min(r0 + i, L - 1) * D;
            for (int d = 0; d < D; d++) ql[i * MAX_D + d] = ar[d];
        }
        for (int j0 = 0; j0 < S_PAD;) {
            if (j0 + 64 <= S_PAD) SCORE_TILE(4) else SCORE_TILE(1)
        }
        // Exact softmax per row; padding keys read as −inf, so they add exp(−inf) = 0.
        float inv[ROWS];
        for (int i = 0; i < ROWS; i++) {
            __local float* pr = p + i * S_PAD;
            for (int j = S; j < S_PAD; j++) pr[j] = -INFINITY;
            float16 m16 = (float16)(-INFINITY);
            for (int j = 0; j < S_PAD; j += 16) m16 = fmax(m16, vload16(0, pr + j));
            const float m = hmax16(m16);
            float16 s16 = (float16)(0.0f);
            for (int j = 0; j < S_PAD; j += 16) {
                const float16 e = exp(vload16(0, pr + j) - m);
                vstore16(e, 0, pr + j);
                s16 += e;
            }
            inv[i] = 1.0f / hsum16(s16);
        }
        for (int c0 = 0; c0 < DV_PAD;) {
            if (c0 + 64 <= DV_PAD) OUT_TILE(4) else OUT_TILE(1)
        }
    }
}
#endif
