// depthwise.cl — depthwise 2-D convolution (group == C, M = C·multiplier), NCHW, fused epilogue.
// Kernel size, stride and dilation are compile-time (KH, KW, SH, SW, DH, DW) so the tap loops unroll
// and the taps stay in registers. One work-item computes one whole output row in chunks of DW_WPT
// consecutive outputs; chunks clear of the left/right pads take a branch-free path that vectorises on
// CPUs. Input rows that fall in the pads are skipped whole. Epilogue as in conv.cl: + bias, + residual,
// activation. Launch: global (N·M·OH), local (DW_ROWS).
#include "common.h"
#include "activation.h"
#include "storage.h"
#include "plane_tile.h"

#ifndef DW_WPT
#define DW_WPT 16
#endif
#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#ifndef SH
#define SH 1
#endif
#ifndef SW
#define SW 1
#endif
#ifndef DH
#define DH 1
#endif
#ifndef DW
#define DW 1
#endif

// fma, not mad: PoCL expands mad to a multiply and an add, while fma becomes one vfmadd on FMA CPUs.
#ifdef CUDA
#define DW_FMA(a, b, c) fmaf((a), (b), (c))
#else
#define DW_FMA(a, b, c) fma((a), (b), (c))
#endif

inline void dw_epilogue(float v, const idx_t o, const float bv, const __global XT* restrict res, const idx_t r_off,
                        __global XT* restrict y, const idx_t y_off, const float act_a, const float act_b) {
    v += bv;
#if HAS_RES
    v += LDX(res, r_off + o);
#endif
    STX(y, y_off + o, apply_act(v, act_a, act_b));
}

__kernel void depthwise2d(const int N, const int C, const int H, const int W, const int M, const int OH, const int OW,
                          const int PT, const int PL,
                          const __global XT* restrict x, const idx_t x_off,
                          const __global WT* restrict w, const idx_t w_off,
                          const __global float* restrict bias, const idx_t b_off,
                          const __global XT* restrict res, const idx_t r_off,
                          __global XT* restrict y, const idx_t y_off,
                          const float act_a, const float act_b) {
    const idx_t row = GID0;
    if (row >= (idx_t)N * M * OH) return;
    const int oh = (int)(row % OH);
    const idx_t bc = row / OH;           // b·M + co
    const int co = (int)(bc % M), b = (int)(bc / M);
    const int ci = co / (M / C);
    const __global XT* xp = x + x_off + ((idx_t)b * C + ci) * H * W;

    float wr[KH][KW];
    for (int kh = 0; kh < KH; kh++)
        for (int kw = 0; kw < KW; kw++) wr[kh][kw] = LDW(w, w_off + ((idx_t)co * KH + kh) * KW + kw);
    const float bv = BIAS_AT(bias, b_off + co);
    const int ih0 = oh * SH - PT;
    const idx_t o_row = row * OW;
    // First output whose whole window is right of the left pad, and one past the last clear of the right pad.
    const int lo = min(OW, (PL + SW - 1) / SW);
    const int hi_raw = (W - 1 - (KW - 1) * DW + PL) / SW + 1;
    const int hi = max(lo, min(OW, W - 1 - (KW - 1) * DW + PL >= 0 ? hi_raw : 0));

    int ow = 0;
    // Interior chunks: no column checks.
    for (ow = lo; ow + DW_WPT <= hi; ow += DW_WPT) {
        float acc[DW_WPT];
        for (int j = 0; j < DW_WPT; j++) acc[j] = 0.0f;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = ih0 + kh * DH;
            if (ih < 0 || ih >= H) continue;
            const __global XT* xr = xp + (idx_t)ih * W + ow * SW - PL;
            for (int kw = 0; kw < KW; kw++)
                for (int j = 0; j < DW_WPT; j++) acc[j] = mad(wr[kh][kw], LDX(xr, j * SW + kw * DW), acc[j]);
        }
        for (int j = 0; j < DW_WPT; j++) dw_epilogue(acc[j], o_row + ow + j, bv, res, r_off, y, y_off, act_a, act_b);
    }
    // Left edge [0, lo) and the remainder [ow, OW): checked, one output at a time.
    const int tail = ow;
    for (int o = 0; o < OW; o++) {
        if (o >= lo && o < tail) { o = tail - 1; continue; }
        float acc = 0.0f;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = ih0 + kh * DH;
            if (ih < 0 || ih >= H) continue;
            const __global XT* xr = xp + (idx_t)ih * W;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = o * SW - PL + kw * DW;
                if (iw >= 0 && iw < W) acc = mad(wr[kh][kw], LDX(xr, iw), acc);
            }
        }
        dw_epilogue(acc, o_row + o, bv, res, r_off, y, y_off, act_a, act_b);
    }
}

// One work-item per output element, taps fully unrolled with bounds as selects: no loops, so a CPU
// runtime vectorises across work-items (PoCL) and a GPU coalesces along ow.
// Launch: global N·M·OH·OW in one dimension, ow fastest (a 3-D grid would cap N·M at CUDA's 65,535 in z).
__kernel void depthwise2d_px(const int N, const int C, const int H, const int W, const int M, const int OH, const int OW,
                             const int PT, const int PL,
                             const __global XT* restrict x, const idx_t x_off,
                             const __global WT* restrict w, const idx_t w_off,
                             const __global float* restrict bias, const idx_t b_off,
                             const __global XT* restrict res, const idx_t r_off,
                             __global XT* restrict y, const idx_t y_off,
                             const float act_a, const float act_b) {
    const idx_t i = GID0;
    if (i >= (idx_t)N * M * OH * OW) return;
    UNRAVEL_PLANE_HW(i, OH, OW, bc)
    const int co = (int)(bc % M), b = (int)(bc / M);
    const int ci = co / (M / C);
    const __global XT* xp = x + x_off + ((idx_t)b * C + ci) * H * W;
    const __global WT* wp = w + w_off + (idx_t)co * KH * KW;
    const int ih0 = oh * SH - PT, iw0 = ow * SW - PL;
    float acc = 0.0f;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = ih0 + kh * DH;
        const int okh = ih >= 0 && ih < H;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = iw0 + kw * DW;
            const int ok = okh && iw >= 0 && iw < W;
            const float v = ok ? LDX(xp, (idx_t)ih * W + iw) : 0.0f;
            acc = mad(LDW(wp, kh * KW + kw), v, acc);
        }
    }
    const float bv = BIAS_AT(bias, b_off + co);
    dw_epilogue(acc, (bc * OH + oh) * OW + ow, bv, res, r_off, y, y_off, act_a, act_b);
}

// Vector form of the plane kernel's multiply-accumulate (OpenCL on CPUs with 16-wide chunks).
#if !defined(CUDA) && DW_WPT == 16
#define DW_VEC 1
#else
#define DW_VEC 0
#endif

// The epilogue in float16 too (fp32 storage, activations with a vector form here; a row's last, partial chunk
// stores one by one): scalarised, the epilogue cost more than the taps.
#if DW_VEC && !X_F16 && (ACT == ACT_NONE || ACT == ACT_RELU || ACT == ACT_CLIP)
#define DW_VEC_EPI 1
inline float16 dw_act16(float16 v, const float a, const float b) {
#if ACT == ACT_RELU
    return fmax(v, (float16)(0.0f));
#elif ACT == ACT_CLIP
    return select(fmin(fmax(v, (float16)(a)), (float16)(b)), v, isnan(v)); // NaN passes, as apply_act
#else
    return v;
#endif
}
#else
#define DW_VEC_EPI 0
#endif

#ifndef DW_PLANE_MAX
#ifdef CUDA
#define DW_PLANE_MAX 8192   // 32 KiB: within CUDA's 48 KiB of static shared memory (GPUs use depthwise2d_px)
#else
#define DW_PLANE_MAX 32768  // 128 KiB (Depthwise.PlaneMax): PoCL's local memory is ordinary memory, this stays in L2
#endif
#endif

// One work-item per (b, co) plane (CPUs): the input plane is copied once into local memory with its pads made
// explicit (zeros), so every output is computed without bounds checks, DW_WPT at a time along the row (vectorises).
// The copy splits each padded row into SW phases (plane_tile.h), so the taps of a strided conv read consecutive
// floats too: output ow's tap kw sits in phase (kw·DW) % SW at ow + (kw·DW) / SW.
// PH/PW are the padded height/width the host computed, PW including a DW_WPT·SW margin so a row's last chunk may
// read past its end; the tile holds PH·SW·ceil(PW/SW) floats. Launch: global (N·M), local (1).
__kernel void depthwise2d_plane(const int N, const int C, const int H, const int W, const int M, const int OH, const int OW,
                                const int PT, const int PL, const int PH, const int PW,
                                const __global XT* restrict x, const idx_t x_off,
                                const __global WT* restrict w, const idx_t w_off,
                                const __global float* restrict bias, const idx_t b_off,
                                const __global XT* restrict res, const idx_t r_off,
                                __global XT* restrict y, const idx_t y_off,
                                const float act_a, const float act_b) {
    __local float tile[DW_PLANE_MAX];
    const idx_t bc = (idx_t)get_group_id(0);
    const int co = (int)(bc % M), b = (int)(bc / M);
    const int ci = co / (M / C);
    const __global XT* xp = x + x_off + ((idx_t)b * C + ci) * H * W;
    const int PWS = (PW + SW - 1) / SW;
    plane_tile_copy(tile, xp, H, W, PT, PL, PH, PWS, SW, 0.0f);
    float wr[KH][KW];
    for (int kh = 0; kh < KH; kh++)
        for (int kw = 0; kw < KW; kw++) wr[kh][kw] = LDW(w, w_off + ((idx_t)co * KH + kh) * KW + kw);
    const float bv = BIAS_AT(bias, b_off + co);
    for (int oh = 0; oh < OH; oh++) {
        const idx_t o_row = (bc * OH + oh) * OW;
        for (int ow0 = 0; ow0 < OW; ow0 += DW_WPT) {
            float acc[DW_WPT];
#if DW_VEC
            // Explicit float16: PoCL's LLVM left the array form scalar (a quarter of this kernel's speed).
            float16 av = (float16)(0.0f);
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const LOCAL_PTR float* tr = tile + (oh * SH + kh * DH) * SW * PWS + ow0;
#pragma unroll
                for (int kw = 0; kw < KW; kw++)
                    av = fma((float16)(wr[kh][kw]), vload16(0, tr + ((kw * DW) % SW) * PWS + (kw * DW) / SW), av);
            }
#if DW_VEC_EPI
            if (ow0 + DW_WPT <= OW) {
                av += (float16)(bv);
#if HAS_RES
                av += vload16(0, res + r_off + o_row + ow0);
#endif
                vstore16(dw_act16(av, act_a, act_b), 0, y + y_off + o_row + ow0);
                continue;
            }
#if !HAS_RES
            // Row end (or a row narrower than a chunk): the epilogue still in vector form, only the stores one by one.
            vstore16(dw_act16(av + (float16)(bv), act_a, act_b), 0, acc);
            for (int j = 0; j < OW - ow0; j++) y[y_off + o_row + ow0 + j] = acc[j];
            continue;
#endif
#endif
            vstore16(av, 0, acc);
#else
#pragma unroll
            for (int j = 0; j < DW_WPT; j++) acc[j] = 0.0f;
#pragma unroll
            for (int kh = 0; kh < KH; kh++) {
                const LOCAL_PTR float* tr = tile + (oh * SH + kh * DH) * SW * PWS + ow0;
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const LOCAL_PTR float* tp = tr + ((kw * DW) % SW) * PWS + (kw * DW) / SW;
#pragma unroll
                    for (int j = 0; j < DW_WPT; j++) acc[j] = DW_FMA(wr[kh][kw], tp[j], acc[j]);
                }
            }
#endif
            if (ow0 + DW_WPT <= OW) {
                // Whole chunk: a fixed-length loop, so the stores vectorise.
#pragma unroll
                for (int j = 0; j < DW_WPT; j++) dw_epilogue(acc[j], o_row + ow0 + j, bv, res, r_off, y, y_off, act_a, act_b);
            } else {
                for (int j = 0; j < OW - ow0; j++) dw_epilogue(acc[j], o_row + ow0 + j, bv, res, r_off, y, y_off, act_a, act_b);
            }
        }
    }
}
