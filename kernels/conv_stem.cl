// conv_stem.cl — direct convolution for the first layer of a CNN on CPUs: few input channels (RGB), a large
// image, a strided window (ResNet's 7×7/2, MobileNet's 3×3/2). As an implicit GEMM its K is tiny (3·7·7 = 147)
// and the im2col gather of stride-2 input runs costs as much as the multiply-accumulates; here each work-group
// copies the input rows its output rows need once into local memory, pads explicit and each row split into SW
// phases (plane_tile.h), so a tap of 16 consecutive outputs is 16 consecutive floats: every tap is NV float16
// loads feeding an MR × NV register tile of (output channel × 16 pixels) accumulators, weights broadcast from
// their rows in global memory (the whole filter bank is a few KiB per sub-block, it stays in L1).
// OpenCL on CPUs only (float16 registers; the host never picks this kernel elsewhere). fp32 activations.
// Launch: global (ceil(OH / ROWS), N), local (1, 1).
#include "common.h"
#include "activation.h"
#include "storage.h"
#include "plane_tile.h"

#ifndef CUDA
#ifndef SC
#define SC 3
#endif
#ifndef KH
#define KH 7
#endif
#ifndef KW
#define KW 7
#endif
#ifndef SH
#define SH 2
#endif
#ifndef SW
#define SW 2
#endif
#ifndef DH
#define DH 1
#endif
#ifndef DW
#define DW 1
#endif
#ifndef ROWS
#define ROWS 8
#endif
#ifndef MR
#define MR 8
#endif
#ifndef NV
#define NV 2
#endif
#if NV > 4
#error conv_stem.cl: NV is at most 4
#endif
#ifndef STEM_TILE
#define STEM_TILE 16384
#endif
#if X_F16
#error conv_stem.cl stores fp32 activations only
#endif

#define KK (KH * KW)
#define KG (SC * KK)
// Padded input rows behind ROWS output rows.
#define TROWS ((ROWS - 1) * SH + (KH - 1) * DH + 1)

// Activation on 16 outputs: vector forms for the common stem activations, lane by lane otherwise.
inline float16 stem_act16(float16 v, const float a, const float b) {
#if ACT == ACT_NONE
    return v;
#elif ACT == ACT_RELU
    return fmax(v, (float16)(0.0f));
#elif ACT == ACT_CLIP
    return select(fmin(fmax(v, (float16)(a)), (float16)(b)), v, isnan(v)); // NaN passes, as apply_act
#else
    float t[16];
    vstore16(v, 0, t);
    for (int j = 0; j < 16; j++) t[j] = apply_act(t[j], a, b);
    return vload16(0, t);
#endif
}

// Bias, residual, activation and the store of 16 outputs at yrow[ow] (n of them at a row's end).
inline void stem_store16(float16 v, const float bv, const __global float* restrict rrow, __global float* restrict yrow,
                         const int ow, const int n, const float act_a, const float act_b) {
    v += (float16)(bv);
    if (n >= 16) {
#if HAS_RES
        v += vload16(0, rrow + ow);
#endif
        STREAM16(stem_act16(v, act_a, act_b), yrow + ow, VSTORE16_AT);
        return;
    }
    float t[16];
    vstore16(v, 0, t);
    for (int j = 0; j < n; j++) {
        float o = t[j];
#if HAS_RES
        o += rrow[ow + j];
#endif
        yrow[ow + j] = apply_act(o, act_a, act_b);
    }
}

// One chunk of NVC·16 outputs of output row `r` of the block, for channels [m0, m0 + MR): every tap is NVC vector
// loads from the phased tile and MR broadcast weights. Rows past M re-read row M − 1 (never stored).
#define STEM_CHUNK(NVC)                                                                                          \
    {                                                                                                            \
        float16 acc[MR][NVC];                                                                                    \
        _Pragma("unroll") for (int i = 0; i < MR; i++)                                                           \
            _Pragma("unroll") for (int v = 0; v < NVC; v++) acc[i][v] = (float16)(0.0f);                         \
        for (int c = 0; c < SC; c++)                                                                             \
            for (int kh = 0; kh < KH; kh++) {                                                                    \
                const LOCAL_PTR float* tr = tile + ((c * TROWS + r * SH + kh * DH) * SW) * PWS + ow0;            \
                const int wk = c * KK + kh * KW;                                                                 \
                _Pragma("unroll") for (int kw = 0; kw < KW; kw++) {                                              \
                    const LOCAL_PTR float* tp = tr + ((kw * DW) % SW) * PWS + (kw * DW) / SW;                   \
                    float16 bx[NVC];                                                                             \
                    _Pragma("unroll") for (int v = 0; v < NVC; v++) bx[v] = vload16(v, tp);                      \
                    _Pragma("unroll") for (int i = 0; i < MR; i++) {                                             \
                        const float16 a = (float16)(LDW(wrow[i], wk + kw));                                      \
                        _Pragma("unroll") for (int v = 0; v < NVC; v++) acc[i][v] = fma(a, bx[v], acc[i][v]);    \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
        for (int i = 0; i < MR && m0 + i < M; i++) {                                                             \
            const idx_t o_row = (((idx_t)n * M + m0 + i) * OH + oh) * OW;                                        \
            const float bv = HAS_BIAS ? bias[b_off + m0 + i] : 0.0f;                                             \
            _Pragma("unroll") for (int v = 0; v < NVC; v++)                                                      \
                stem_store16(acc[i][v], bv, res + r_off + o_row, y + y_off + o_row, ow0 + 16 * v,                \
                             OW - ow0 - 16 * v, act_a, act_b);                                                   \
        }                                                                                                        \
    }

// PT/PL: pads above and left. PWS: floats per phase of a tile row (≥ OW rounded up to 16, plus the taps' reach).
__kernel void conv_stem(const int H, const int W, const int M, const int OH, const int OW, const int PT, const int PL,
                        const int PWS,
                        const __global float* restrict x, const idx_t x_off,
                        const __global WT* restrict w, const idx_t w_off,
                        const __global float* restrict bias, const idx_t b_off,
                        const __global float* restrict res, const idx_t r_off,
                        __global float* restrict y, const idx_t y_off,
                        const float act_a, const float act_b) {
    __local float tile[STEM_TILE];
    const int oh0 = (int)get_group_id(0) * ROWS;
    const int n = (int)get_group_id(1);
    const int rows = min(ROWS, OH - oh0);
    // The padded rows [oh0·SH, oh0·SH + TROWS) of each channel: the plane copy with its top pad shifted.
    for (int c = 0; c < SC; c++)
        plane_tile_copy(tile + c * TROWS * SW * PWS, x + x_off + ((idx_t)n * SC + c) * H * W, H, W, PT - oh0 * SH, PL,
                        TROWS, PWS, SW, 0.0f);
    // Channel sub-blocks outermost: the sub-block's weights (MR·KG floats) stay in L1 while the tile streams by.
    // (Rows outermost measured the same.)
    for (int m0 = 0; m0 < M; m0 += MR)
        for (int r = 0; r < rows; r++) {
            const __global WT* wrow[MR];
            _Pragma("unroll") for (int i = 0; i < MR; i++) wrow[i] = w + w_off + (idx_t)min(m0 + i, M - 1) * KG;
            const int oh = oh0 + r;
            int ow0 = 0;
            for (; ow0 + 16 * NV < OW; ow0 += 16 * NV) STEM_CHUNK(NV)
            // The row's tail (a partial last vector included): as many vectors as it needs, at most NV.
            const int tail = (OW - ow0 + 15) / 16;
#if NV >= 4
            if (tail == 4) STEM_CHUNK(4)
#endif
#if NV >= 3
            if (tail == 3) STEM_CHUNK(3)
#endif
#if NV >= 2
            if (tail == 2) STEM_CHUNK(2)
#endif
            if (tail == 1) STEM_CHUNK(1)
        }
}
#endif
