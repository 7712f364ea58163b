// depthwise_flat.cl — CPU depthwise convolution (group == C, M = C·multiplier) over whole output planes taken as
// one flat row: 16 consecutive outputs of the plane, across output rows, are one float16 chunk. Input plane, strides
// and pads are compile-time, so every tap of a chunk is one vload16 at a constant offset from a local tile:
//   the tile holds the plane split into SH×SW stride phases (input row ih = sr·SH + pr, column iw = sc·SW + pc),
//   each phase as a sub-plane whose row stride is OW, the output row stride. Output (oh, ow) reads its tap (kh, kw)
//   at sub-plane (pr, pc), sub-row oh + DR(kh), sub-column ow + DC(kw): flat index i + DR·OW + DC of flat output i.
// Sub-rows outside the input are zero rows of the tile (vertical pads cost nothing); a tap with DC ≠ 0 wraps into
// the neighbouring sub-row at the left/right end of an output row, so the taps of each kw sum into their own
// accumulator and those lanes are dropped by a select (a pad column, DepthwiseFlat.Fits checks the wrap only ever
// meets pads). One pass over the plane: input rows are copied into the tile just before the first chunk that needs
// them, so the copy streams from memory while the FMAs of the previous rows run, and small planes (7×7, 14×14:
// 3 and 13 chunks) have no per-row work at all. Several planes per work-group (PPG) amortise PoCL's per-group cost.
// Launch: global ceil(N·M / PPG), local 1. OpenCL CPUs only (float16); Depthwise.cs never picks it elsewhere.
#include "common.h"
#include "activation.h"
#include "storage.h"

#ifndef CUDA

// Defaults for a build without the host's defines (DepthwiseFlat.Run sets all of them): 3×3 taps, stride 1, a
// same-padded 7×7 plane.
#ifndef OW
#define KH 3
#define KW 3
#define SH 1
#define SW 1
#define DH 1
#define DW 1
#define H 7
#define W 7
#define OH 7
#define OW 7
#define PT 1
#define PL 1
#define MULT 1
#endif

#define FLOOR_DIV(a, b) ((a) >= 0 ? (a) / (b) : -((-(a) + (b) - 1) / (b)))
#define DR(kh) FLOOR_DIV((kh) * DH - PT, SH)
#define PR(kh) ((kh) * DH - PT - DR(kh) * SH)
#define DC(kw) FLOOR_DIV((kw) * DW - PL, SW)
#define PC(kw) ((kw) * DW - PL - DC(kw) * SW)
#define R0 DR(0)
#define SPH (OH + DR(KH - 1) - R0)          // sub-plane rows: sub-row R0 + rr is tile row rr
#define MARGIN 32                           // before and after each sub-plane: wrapped and past-the-end lanes
#define PSTRIDE (SPH * OW + MARGIN)
#define PBASE(pr, pc) (MARGIN + ((pr) * SW + (pc)) * PSTRIDE)
#define TILE_FLOATS (MARGIN + SH * SW * PSTRIDE)
#define PLANE (OH * OW)
#define NVALID(pc) min(OW, (W - (pc) + SW - 1) / SW)  // sub-columns that hold an input column (iw < W)
#define TOFF(kh, kw) (PBASE(PR(kh), PC(kw)) + (DR(kh) - R0) * OW + DC(kw))

// 16 floats as one full-width access that LLVM may not split (float16u, storage.h): a shuffle of two plain vload16s
// into even and odd lanes became a dozen 8-byte loads and permutes.
#define ST16_L(v, p) (*(volatile LOCAL_PTR float16u*)(p) = (v))
#if X_F16
#define LDX16_WHOLE(p) vload_half16(0, (p))
#define STX16_WHOLE(v, p) vstore_half16((v), 0, (p))
#else
#define LDX16_WHOLE(p) (*(const volatile __global float16u*)(p))
#define STX16_WHOLE(v, p) (*(volatile __global float16u*)(p) = (v))
#endif

// Software prefetch distance of the row copies, in input elements (8 KiB of fp32): without it the copy waited on
// memory for most of its time on a large plane (one sequential stream per core, the FMAs between the copy steps).
#ifndef DWF_PF
#define DWF_PF 2048
#endif
#define DWF_PREFETCH(p) __builtin_prefetch((const __global void*)((p) + DWF_PF), 0, 3)

#if X_F16
#define LDX16(p) vload_half16(0, (p))
#else
#define LDX16(p) vload16(0, (p))
#endif

// Activations with an exact float16 form; the others go through apply_act lane by lane.
#if ACT == ACT_NONE || ACT == ACT_RELU || ACT == ACT_CLIP || ACT == ACT_LEAKYRELU || ACT == ACT_HARDSWISH
#define DWF_VEC_ACT 1
inline float16 dwf_act16(float16 v, const float a, const float b) {
#if ACT == ACT_RELU
    return fmax(v, (float16)(0.0f));
#elif ACT == ACT_CLIP
    // apply_act's x != x ? x : fmin(fmax(x, a), b) as two compare-selects (a NaN v fails both compares and passes;
    // min > max gives max), which are one vmaxps and one vminps: fmin/fmax with NaN checks took 9 instructions.
    const float16 t = select(v, (float16)(a), v < a);
    return select(t, (float16)(b), t > b);
#elif ACT == ACT_LEAKYRELU
    return select(v * a, v, v >= (float16)(0.0f));
#elif ACT == ACT_HARDSWISH
    return v * fmax((float16)(0.0f), fmin((float16)(1.0f), v * (1.0f / 6.0f) + 0.5f));
#else
    return v;
#endif
}
#else
#define DWF_VEC_ACT 0
#endif

// Zeros every part of the tile that no plane's copy writes: margins, sub-rows outside the input, sub-columns past
// its right edge. Once per work-group; the copies of later planes overwrite exactly the same places.
inline void dwf_zero(LOCAL_PTR float* tile) {
    for (int p = 0; p <= SH * SW; p++)
        for (int j = 0; j < MARGIN; j++) tile[p * PSTRIDE + j] = 0.0f;
    for (int pr = 0; pr < SH; pr++)
        for (int pc = 0; pc < SW; pc++)
            for (int rr = 0; rr < SPH; rr++) {
                const int ih = (rr + R0) * SH + pr;
                LOCAL_PTR float* t = tile + PBASE(pr, pc) + rr * OW;
                for (int j = (ih < 0 || ih >= H) ? 0 : NVALID(pc); j < OW; j++) t[j] = 0.0f;
            }
}

#if SW == 2
// 32 input floats, even columns to phase 0 and odd ones to phase 1 (all 32 used, so two full-width loads and two
// permutes).
inline __attribute__((always_inline)) void dwf_split2(const __global XT* restrict src, LOCAL_PTR float* d0, LOCAL_PTR float* d1) {
    const float16 u = LDX16_WHOLE(src), v = LDX16_WHOLE(src + 16);
    ST16_L(shuffle2(u, v, (uint16)(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)), d0);
    ST16_L(shuffle2(u, v, (uint16)(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)), d1);
}
#endif

// Copies input rows [ih0, ih1) of plane xp into their sub-planes (rows the tile does not hold are skipped).
inline __attribute__((always_inline)) void dwf_copy_rows(LOCAL_PTR float* tile, const __global XT* restrict xp, const int ih0, const int ih1) {
#if SH == 1 && SW == 1 && OW == W
    // One phase of whole rows: the rows are one contiguous run in the input and in the tile.
    const int a = max(ih0, R0), b = min(ih1, R0 + SPH);
    if (a >= b) return;
    const __global XT* src = xp + (idx_t)a * W;
    LOCAL_PTR float* dst = tile + PBASE(0, 0) + (a - R0) * OW;
    const int n = (b - a) * W;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        DWF_PREFETCH(src + j);
        ST16_L(LDX16(src + j), dst + j);
    }
    if (j < n && n >= 16) ST16_L(LDX16(src + n - 16), dst + n - 16); // the rest as the run's last 16, again
    else for (; j < n; j++) dst[j] = LDX(src, j);
#else
    for (int ih = ih0; ih < ih1; ih++) {
        const int pr = ih % SH, rr = ih / SH - R0;
        if (rr < 0 || rr >= SPH) continue;
        const __global XT* src = xp + (idx_t)ih * W;
        LOCAL_PTR float* d0 = tile + PBASE(pr, 0) + rr * OW;
        int j = 0;
#if SW == 2
        LOCAL_PTR float* d1 = tile + PBASE(pr, 1) + rr * OW;
        for (; j + 16 <= NVALID(1) && 2 * j + 32 <= W; j += 16) {
            DWF_PREFETCH(src + 2 * j);
            DWF_PREFETCH(src + 2 * j + 16);
            dwf_split2(src + 2 * j, d0 + j, d1 + j);
        }
        // The rest of a wide row as its last 16 again, overlapping, rather than one by one.
        if (j < NVALID(1) && NVALID(1) >= 16 && 2 * NVALID(1) <= W) {
            dwf_split2(src + 2 * (NVALID(1) - 16), d0 + NVALID(1) - 16, d1 + NVALID(1) - 16);
            j = NVALID(1);
        }
        for (int k = j; k < NVALID(1); k++) d1[k] = LDX(src, 2 * k + 1);
        for (; j < NVALID(0); j++) d0[j] = LDX(src, 2 * j);
#else
        for (int pc = 0; pc < SW; pc++) {
            LOCAL_PTR float* d = tile + PBASE(pr, pc) + rr * OW;
            for (int k = 0; k < NVALID(pc); k++) d[k] = LDX(src, k * SW + pc);
        }
#endif
    }
#endif
}

// Output chunk at flat index i0 of plane bc: the taps from the tile, lanes that wrapped dropped, the epilogue, the
// store (n < 16: the plane's last, partial chunk, stored lane by lane).
inline __attribute__((always_inline)) void dwf_chunk(const LOCAL_PTR float* tile, const int i0, const int n, const int16 owv, const float16 (*wv)[KW],
                      const float16 bv, const __global XT* restrict res, __global XT* restrict y, const idx_t o,
                      const float act_a, const float act_b) {
    float16 acc[KW];
#pragma unroll
    for (int kw = 0; kw < KW; kw++) acc[kw] = (float16)(0.0f);
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++) acc[kw] = fma(wv[kh][kw], vload16(0, tile + i0 + TOFF(kh, kw)), acc[kw]);
    float16 v = bv;
#pragma unroll
    for (int kw = 0; kw < KW; kw++) {
        // Lanes whose sub-column ow + DC wraps to the neighbouring row read a pad there: drop them.
        if (DC(kw) < 0) v += select((float16)(0.0f), acc[kw], owv >= -DC(kw));
        else if (DC(kw) > 0) v += select((float16)(0.0f), acc[kw], owv < OW - DC(kw));
        else v += acc[kw];
    }
#if HAS_RES
    if (n == 16) v += LDX16(res + o);
    else {
        float rv[16];
        for (int j = 0; j < n; j++) rv[j] = LDX(res, o + j);
        v += vload16(0, rv);
    }
#endif
#if DWF_VEC_ACT
    v = dwf_act16(v, act_a, act_b);
#else
    float t[16];
    vstore16(v, 0, t);
#pragma unroll
    for (int j = 0; j < 16; j++) t[j] = apply_act(t[j], act_a, act_b);
    v = vload16(0, t);
#endif
#if X_F16
    if (n == 16) STX16_WHOLE(v, y + o);
#else
    if (n == 16) STREAM16(v, y + o, STX16_WHOLE);
#endif
    else {
        float t2[16];
        vstore16(v, 0, t2);
        for (int j = 0; j < n; j++) STX(y, o + j, t2[j]);
    }
}

// Input rows copied per step (at least): a whole small plane at once, a few rows of a large one.
#ifndef DWF_COPY
#define DWF_COPY 512
#endif
#define COPY_ROWS (DWF_COPY / W > 1 ? DWF_COPY / W : 1)
// Outputs of a plane whose every tap lies in input rows [0, ih): output rows oh with oh·SH + (KH−1)·DH − PT < ih.
#define READY(ih) ((ih) >= H ? PLANE : min(PLANE, max(0, FLOOR_DIV((ih) - 1 + PT - (KH - 1) * DH, SH) + 1) * OW))

__kernel void depthwise2d_flat(const int N, const int C, const int M, const int PPG,
                               const __global XT* restrict x, const idx_t x_off,
                               const __global WT* restrict w, const idx_t w_off,
                               const __global float* restrict bias, const idx_t b_off,
                               const __global XT* restrict res, const idx_t r_off,
                               __global XT* restrict y, const idx_t y_off,
                               const float act_a, const float act_b) {
    __local float tile[TILE_FLOATS];
    dwf_zero(tile);
    // ow of each lane of the first chunk; advanced by 16 outputs per chunk (16 % OW, then at most one wrap).
    const int16 owv0 = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) % OW;
    const idx_t bc0 = (idx_t)get_group_id(0) * PPG, bc1 = min(bc0 + PPG, (idx_t)N * M);
    int co = (int)(bc0 % M);
    idx_t b = bc0 / M;
    for (idx_t bc = bc0; bc < bc1; bc++) {
        const __global XT* xp = x + x_off + (b * C + co / MULT) * H * W;
        float16 wv[KH][KW];
#pragma unroll
        for (int kh = 0; kh < KH; kh++)
#pragma unroll
            for (int kw = 0; kw < KW; kw++) wv[kh][kw] = (float16)(LDW(w, w_off + ((idx_t)co * KH + kh) * KW + kw));
        const float16 bv = (float16)(BIAS_AT(bias, b_off + co));
        const idx_t o_plane = bc * PLANE;
        int ih_done = 0, ready = 0;
        int16 owv = owv0;
        int i0 = 0;
        for (; i0 + 16 <= PLANE; i0 += 16) {
            if (i0 + 16 > ready) {
                // Copy the rows this chunk reads, and a few more (rows are copied in order, each once per plane).
                const int ih_need = min(H, max(ih_done + COPY_ROWS, (i0 + 15) / OW * SH + (KH - 1) * DH - PT + 1));
                dwf_copy_rows(tile, xp, ih_done, ih_need);
                ih_done = ih_need;
                ready = READY(ih_done);
            }
            dwf_chunk(tile, i0, 16, owv, wv, bv, res + r_off, y + y_off, o_plane + i0, act_a, act_b);
            owv += 16 % OW;
            owv = select(owv, owv - OW, owv >= OW);
        }
        if (i0 < PLANE) {
            // The plane's last, partial chunk.
            dwf_copy_rows(tile, xp, ih_done, H);
#if !HAS_RES && PLANE >= 16
            // As the plane's last 16 outputs, overlapping the previous chunk: the same values stored again, one
            // full-width store (not with a residual, which may be the output itself).
            const int16 owc = ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + (PLANE - 16)) % OW;
            dwf_chunk(tile, PLANE - 16, 16, owc, wv, bv, res + r_off, y + y_off, o_plane + PLANE - 16, act_a, act_b);
#else
            dwf_chunk(tile, i0, PLANE - i0, owv, wv, bv, res + r_off, y + y_off, o_plane + i0, act_a, act_b);
#endif
        }
        if (++co == M) { co = 0; b++; }
    }
}

#endif
