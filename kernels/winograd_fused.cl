// winograd_fused.cl — Winograd F(4×4, 3×3) convolution in one kernel for CPU devices (one work-item per work-group),
// the same product as winograd.cl's three launches (input transform → 36 position GEMMs → output transform) without
// their fp32 scratch round trips: at 64 channels V and Mo are 2.25× the input and output, and the transforms that
// stream them through DRAM cost as much as the GEMMs. A work-group takes TB consecutive tiles (tile t as in
// winograd.cl), one per float16 lane:
//   1. per input channel: copy the input rows of each run of lanes on one tile row (contiguous, zero outside the
//      image), pick each lane's 6×6 patch out of them (stride-4 reads: wide loads and shuffles), transform the
//      patches as float16 vectors, and keep V [36][CIN][TB] in local memory (cache-resident: 36·CIN·TB floats);
//   2. per block of MB output channels: the 36 position products U_p[MB × CIN] · V_p[CIN × TB] with vec_mac.h's
//      register tile (U broadcast from global, its rows L1/L2-resident), into local memory [36][MB][TB];
//   3. the output transform of those MB channels as float16 vectors, interleaved back into output rows (lane l's
//      columns at 4l .. 4l + 3), then conv.cl's epilogue along each contiguous run: + bias, + residual, activation.
// Measured at 64 channels (56×56, batch 8): input phase ~1/3, GEMMs ~1/2, output phase ~1/6 of the kernel's time.
// Launch: global (ceil(T / TB), 1), local (1, 1). Defines: CIN (input channels, exact), NV (TB = 16·NV), MB, ACT,
// HAS_BIAS, HAS_RES, X_F16. U is fp32 [36][M][CIN].
#include "common.h"
// OpenCL only (float16 vectors); the host never runs it on CUDA, where the file compiles to nothing.
#ifndef CUDA
#include "activation.h"
#include "storage.h"
#include "vec_mac.h"
#include "winograd.h"

#ifndef CIN
#define CIN 64
#endif
#ifndef NV
#define NV 2
#endif
#ifndef MB
#define MB 8
#endif
#define TB (16 * NV)

#define U_AT(i, k) up[urow[i] + (k)]
// A whole block of MB rows: each row at a compile-time offset (i·CIN) from one pointer. With a row offset array the
// compiler kept the MB offsets in a vector and extracted one per broadcast (vpextrq): two extra µops per FMA row.
#define U_BLOCK(i, k) ub[(i) * CIN + (k)]
#define V_ROW(k) (vp + (k) * TB)

__kernel void winograd_fused(const int N, const int H, const int W, const int M, const int OH, const int OW,
                             const int TH, const int TW, const int PT, const int PL,
                             const __global XT* restrict x, const idx_t x_off,
                             const __global float* restrict u, const idx_t u_off,
                             const __global float* restrict bias, const idx_t b_off,
                             const __global XT* restrict res, const idx_t r_off,
                             __global XT* restrict y, const idx_t y_off, const float act_a, const float act_b) {
    __local float vl[36 * CIN * TB]; // V of the block: [p][c][lane]
    __local float pl[36 * TB];       // one channel's patches [6i + j][lane], later one channel's outputs [4i + j][lane]
    __local float ml[36 * MB * TB];  // the position products of MB output channels: [p][i][lane]
    __local float st[16 * TB];
#define RS (4 * TB + 4)
    __local float rs[6 * RS];        // the 6 input rows of a run of tiles: lane l's columns at 4l .. 4l + 5       // one channel's outputs as 4 rows of 4·TB columns
    const int T = N * TH * TW;
    const int t0 = (int)get_group_id(0) * TB;
    const idx_t HW = (idx_t)H * W;
    const int OHW = OH * OW;

    // Lanes past the last tile belong to no run: zero patches, never stored.
    for (int q = 0; q < 36 * TB; q++) pl[q] = 0.0f;
    // Runs of lanes on one tile row (a new one at each row start): their outputs are rows of contiguous columns.
    int nseg = 0;
    int seg_l0[TB], seg_rows[TB], seg_cols[TB], seg_len[TB], seg_ih[TB], seg_iw[TB];
    idx_t seg_y[TB], seg_x[TB];
    for (int l = 0; l < TB && t0 + l < T; l++) {
        const int t = t0 + l;
        const int tw = t % TW, th = (t / TW) % TH, n = t / TW / TH;
        if (l > 0 && tw > 0) {
            seg_cols[nseg - 1] = min(4 * (tw + 1), OW) - 4 * (tw - (l - seg_l0[nseg - 1]));
            seg_len[nseg - 1]++;
            continue;
        }
        seg_l0[nseg] = l;
        seg_rows[nseg] = min(4, OH - 4 * th);
        seg_cols[nseg] = min(4, OW - 4 * tw);
        seg_y[nseg] = y_off + (idx_t)n * M * OHW + (idx_t)(4 * th) * OW + 4 * tw;
        seg_len[nseg] = 1;
        seg_ih[nseg] = 4 * th - PT;
        seg_iw[nseg] = 4 * tw - PL;
        seg_x[nseg] = x_off + (idx_t)n * CIN * HW;
        nseg++;
    }

    // 1. V = Bᵀ d B per channel, TB tiles at a time.
    for (int c = 0; c < CIN; c++) {
        // Per run of tiles on one tile row: its 6 input rows (4·len + 2 columns, zero outside the image) into rs, then
        // each lane's 6×6 patch out of them: stride-4 reads the vectorizer turns into wide loads and shuffles.
        for (int g = 0; g < nseg; g++) {
            const int l0 = seg_l0[g], len = seg_len[g], cols = 4 * len + 2, iws = seg_iw[g];
            const int q0 = min(cols, max(0, -iws)), q1 = max(q0, min(cols, W - iws));
            for (int i = 0; i < 6; i++) {
                LOCAL_PTR float* rr = rs + i * RS + 4 * l0;
                const int ih = seg_ih[g] + i;
                if (ih < 0 || ih >= H) {
                    for (int q = 0; q < cols; q++) rr[q] = 0.0f;
                    continue;
                }
                const __global XT* xr = x + seg_x[g] + c * HW + (idx_t)ih * W + iws;
                for (int q = 0; q < q0; q++) rr[q] = 0.0f;
                for (int q = q0; q < q1; q++) rr[q] = LDX(xr, q);
                for (int q = q1; q < cols; q++) rr[q] = 0.0f;
            }
#pragma unroll
            for (int i = 0; i < 6; i++)
                for (int l = l0; l < l0 + len; l++)
#pragma unroll
                    for (int j = 0; j < 6; j++) pl[(6 * i + j) * TB + l] = rs[i * RS + 4 * l + j];
        }
#pragma unroll
        for (int v = 0; v < NV; v++) {
            // d B along each row, in place; then Bᵀ (d B) down each column, into V.
#pragma unroll
            for (int i = 0; i < 6; i++) {
                LOCAL_PTR float* r = pl + 6 * i * TB + 16 * v;
                float16 o0, o1, o2, o3, o4, o5;
                WINO_BT_T(float16, vload16(0, r), vload16(0, r + TB), vload16(0, r + 2 * TB), vload16(0, r + 3 * TB),
                          vload16(0, r + 4 * TB), vload16(0, r + 5 * TB), o0, o1, o2, o3, o4, o5);
                vstore16(o0, 0, r); vstore16(o1, 0, r + TB); vstore16(o2, 0, r + 2 * TB);
                vstore16(o3, 0, r + 3 * TB); vstore16(o4, 0, r + 4 * TB); vstore16(o5, 0, r + 5 * TB);
            }
#pragma unroll
            for (int j = 0; j < 6; j++) {
                LOCAL_PTR const float* col = pl + j * TB + 16 * v;
                float16 o[6];
                WINO_BT_T(float16, vload16(0, col), vload16(0, col + 6 * TB), vload16(0, col + 12 * TB), vload16(0, col + 18 * TB),
                          vload16(0, col + 24 * TB), vload16(0, col + 30 * TB), o[0], o[1], o[2], o[3], o[4], o[5]);
#pragma unroll
                for (int i = 0; i < 6; i++) vstore16(o[i], 0, vl + ((6 * i + j) * CIN + c) * TB + 16 * v);
            }
        }
    }

    for (int m0 = 0; m0 < M; m0 += MB) {
        // 2. The 36 position products of channels [m0, m0 + MB) (rows past M re-read the last one; never stored).
        idx_t urow[MB];
#pragma unroll
        for (int i = 0; i < MB; i++) urow[i] = (idx_t)min(m0 + i, M - 1) * CIN;
        for (int p = 0; p < 36; p++) {
            const __global float* up = u + u_off + (idx_t)p * M * CIN;
            LOCAL_PTR const float* vp = vl + p * CIN * TB;
            float16 acc[MB][NV];
            VEC_ZERO(MB, NV, acc);
            if (m0 + MB <= M) {
                const __global float* ub = up + (idx_t)m0 * CIN;
                VEC_MAC(MB, NV, acc, CIN, U_BLOCK, V_ROW);
            } else
                VEC_MAC(MB, NV, acc, CIN, U_AT, V_ROW);
#pragma unroll
            for (int i = 0; i < MB; i++)
#pragma unroll
                for (int v = 0; v < NV; v++) vstore16(acc[i][v], 0, ml + (p * MB + i) * TB + 16 * v);
        }

        // 3. Y = Aᵀ S A per channel, then the epilogue per output.
        for (int i = 0; i < MB && m0 + i < M; i++) {
            const int m = m0 + i;
#pragma unroll
            for (int v = 0; v < NV; v++) {
                LOCAL_PTR const float* s = ml + i * TB + 16 * v;
                float16 e[4][6];
#pragma unroll
                for (int j = 0; j < 6; j++) {
#define S_AT(r) vload16(0, s + ((6 * (r) + j) * MB) * TB)
                    WINO_AT_T(float16, S_AT(0), S_AT(1), S_AT(2), S_AT(3), S_AT(4), S_AT(5), e[0][j], e[1][j], e[2][j], e[3][j]);
#undef S_AT
                }
#pragma unroll
                for (int r = 0; r < 4; r++) {
                    float16 o0, o1, o2, o3;
                    WINO_AT_T(float16, e[r][0], e[r][1], e[r][2], e[r][3], e[r][4], e[r][5], o0, o1, o2, o3);
                    LOCAL_PTR float* q = pl + 4 * r * TB + 16 * v;
                    vstore16(o0, 0, q); vstore16(o1, 0, q + TB); vstore16(o2, 0, q + 2 * TB); vstore16(o3, 0, q + 3 * TB);
                }
            }
            const float bv = BIAS_AT(bias, b_off + m);
            // Lane l's output column j goes to column 4l + j of its row: an interleave the vectorizer turns into
            // shuffles, so each run of tiles on one tile row then leaves as contiguous output rows.
#pragma unroll
            for (int r = 0; r < 4; r++)
                for (int l = 0; l < TB; l++)
#pragma unroll
                    for (int j = 0; j < 4; j++) st[(r * TB + l) * 4 + j] = pl[(4 * r + j) * TB + l];
            for (int g = 0; g < nseg; g++) {
                const int rows = seg_rows[g], cols = seg_cols[g];
                for (int r = 0; r < rows; r++) {
                    LOCAL_PTR const float* src = st + (r * TB + seg_l0[g]) * 4;
                    const idx_t at = seg_y[g] + (idx_t)m * OHW + (idx_t)r * OW;
                    for (int q = 0; q < cols; q++) {
                        float val = src[q] + bv;
#if HAS_RES
                        val += LDX(res, r_off + (at - y_off) + q);
#endif
                        STX(y, at + q, apply_act(val, act_a, act_b));
                    }
                }
            }
        }
    }
}
#endif
