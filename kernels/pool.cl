// pool.cl — 2-D pooling on NCHW fp32: MaxPool (with dilations), AveragePool (count_include_pad
// either way), and the global max/average pools. ceil_mode only changes the output size, which the
// host computes; a window that starts inside the padded input but runs past it is clipped here.
// Launch (windowed): global N·C·OH·OW in one dimension, ow fastest (CUDA caps grid z at 65,535); (global): global (N·C).
#include "common.h"
#include "storage.h"
#include "plane_tile.h"

#ifndef POOL_MAX
#define POOL_MAX 1
#endif
#ifndef COUNT_INCLUDE_PAD
#define COUNT_INCLUDE_PAD 0
#endif

__kernel void pool2d(const int H, const int W, const int OH, const int OW, const int KH, const int KW,
                     const int SH, const int SW, const int PT, const int PL, const int PB, const int PR,
                     const int DH, const int DW, const int NC,
                     const __global float* restrict x, const idx_t x_off,
                     __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= (idx_t)NC * OH * OW) return;
    UNRAVEL_PLANE_HW(i, OH, OW, nc)
    const __global float* xp = x + x_off + nc * H * W;
    const int h0 = oh * SH - PT, w0 = ow * SW - PL;
#if POOL_MAX
    float acc = -INFINITY;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = h0 + kh * DH;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = w0 + kw * DW;
            if (iw < 0 || iw >= W) continue;
            const float v = xp[(idx_t)ih * W + iw];
            // NaN propagates, as in ONNX's reference (max of a set holding NaN is NaN).
            acc = (v > acc || v != v) ? v : acc;
        }
    }
    y[y_off + (nc * OH + oh) * OW + ow] = acc;
#else
    // Average pooling has no dilation in ONNX before opset 19; DH/DW are 1 here.
    const int hs = max(h0, 0), he = min(h0 + KH, H);
    const int ws = max(w0, 0), we = min(w0 + KW, W);
    float sum = 0.0f;
    for (int ih = hs; ih < he; ih++)
        for (int iw = ws; iw < we; iw++) sum += xp[(idx_t)ih * W + iw];
#if COUNT_INCLUDE_PAD
    // Pads count, but the part of a ceil_mode window beyond the padded input does not.
    const int count = (min(h0 + KH, H + PB) - h0) * (min(w0 + KW, W + PR) - w0);
#else
    const int count = (he - hs) * (we - ws);
#endif
    y[y_off + (nc * OH + oh) * OW + ow] = count > 0 ? sum / (float)count : 0.0f;
#endif
}

// One work-item per (n, c) plane: its mean or max over H·W.
__kernel void global_pool(const int NC, const idx_t HW,
                          const __global float* restrict x, const idx_t x_off,
                          __global float* restrict y, const idx_t y_off) {
    const idx_t nc = GID0;
    if (nc >= NC) return;
    const __global float* xp = x + x_off + nc * HW;
#if POOL_MAX
    float acc = -INFINITY;
    for (idx_t i = 0; i < HW; i++) {
        const float v = xp[i];
        acc = (v > acc || v != v) ? v : acc;
    }
    y[y_off + nc] = acc;
#else
    float acc = 0.0f;
    for (idx_t i = 0; i < HW; i++) acc += xp[i];
    y[y_off + nc] = acc / (float)HW;
#endif
}

#ifndef CUDA
// pool2d_plane (CPUs): one work-item per (n, c) plane. The plane is copied (PSTRIP output rows' worth at a time) into
// local memory with its pads made explicit (−∞ for max, 0 for average) and each padded row split into PSW phases (plane_tile.h), so a window
// tap of 16 consecutive outputs is 16 consecutive floats: the taps run as float16 vector ops without bounds checks (the per-output kernel above did not vectorise on PoCL). Window, strides and
// dilations are compile-time (PKH, PKW, PSH, PSW, PDH, PDW). PH/PW: padded height/width from the host, PW with a
// 16·PSW margin for a row's last chunk. Launch: global (N·C), local (1).
#ifndef PKH
#define PKH 3
#endif
#ifndef PKW
#define PKW 3
#endif
#ifndef PSH
#define PSH 1
#endif
#ifndef PSW
#define PSW 1
#endif
#ifndef PDH
#define PDH 1
#endif
#ifndef PDW
#define PDW 1
#endif
#ifndef POOL_PLANE_MAX
#define POOL_PLANE_MAX 32768
#endif
#ifndef PSTRIP
#define PSTRIP 0
#endif

__kernel void pool2d_plane(const int H, const int W, const int OH, const int OW, const int PT, const int PL,
                           const int PB, const int PR, const int PH, const int PW,
                           const __global float* restrict x, const idx_t x_off,
                           __global float* restrict y, const idx_t y_off) {
    __local float tile[POOL_PLANE_MAX];
    const idx_t nc = (idx_t)get_group_id(0);
    const __global float* xp = x + x_off + nc * H * W;
    const int PWS = (PW + PSW - 1) / PSW;
    const float padv = POOL_MAX ? -INFINITY : 0.0f;
    float out[16];
    // PSTRIP output rows at a time: their padded input rows (a strip of the plane, its top pad shifted) fit in L1.
    const int strip = PSTRIP > 0 ? PSTRIP : OH;
    for (int oh0 = 0; oh0 < OH; oh0 += strip) {
        plane_tile_copy(tile, xp, H, W, PT - oh0 * PSH, PL, min(PH, (strip - 1) * PSH + (PKH - 1) * PDH + 1), PWS, PSW, padv);
        for (int oh = oh0; oh < min(OH, oh0 + strip); oh++) {
            const idx_t o_row = (nc * OH + oh) * OW;
#if !POOL_MAX
            const int h0 = oh * PSH - PT;
#if COUNT_INCLUDE_PAD
            const int rows = min(h0 + PKH, H + PB) - h0;
#else
            const int rows = min(h0 + PKH, H) - max(h0, 0);
#endif
#endif
            for (int ow0 = 0; ow0 < OW; ow0 += 16) {
                float16 acc = (float16)(padv);
                for (int kh = 0; kh < PKH; kh++) {
                    const LOCAL_PTR float* tr = tile + ((oh - oh0) * PSH + kh * PDH) * PSW * PWS + ow0;
#pragma unroll
                    for (int kw = 0; kw < PKW; kw++) {
                        const float16 v = vload16(0, tr + ((kw * PDW) % PSW) * PWS + (kw * PDW) / PSW);
#if POOL_MAX
                        // NaN propagates, as in the per-output kernel.
                        acc = select(acc, v, isgreater(v, acc) | isnan(v));
#else
                        acc += v;
#endif
                    }
                }
#if !POOL_MAX
                float cnt[16];
                for (int j = 0; j < 16; j++) {
                    const int w0 = (ow0 + j) * PSW - PL;
#if COUNT_INCLUDE_PAD
                    cnt[j] = (float)(rows * (min(w0 + PKW, W + PR) - w0));
#else
                    cnt[j] = (float)(rows * (min(w0 + PKW, W) - max(w0, 0)));
#endif
                }
                const float16 c = vload16(0, cnt);
                acc = select(acc / c, (float16)(0.0f), c <= 0.0f);
#endif
                if (ow0 + 16 <= OW) vstore16(acc, 0, y + y_off + o_row + ow0);
                else {
                    vstore16(acc, 0, out);
                    for (int j = 0; j < OW - ow0; j++) y[y_off + o_row + ow0 + j] = out[j];
                }
            }
        }
    }
}
#endif
