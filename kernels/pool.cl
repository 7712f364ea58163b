// pool.cl — 2-D pooling on NCHW fp32: MaxPool (with dilations), AveragePool (count_include_pad
// either way), and the global max/average pools. ceil_mode only changes the output size, which the
// host computes; a window that starts inside the padded input but runs past it is clipped here.
// Launch (windowed): global N·C·OH·OW in one dimension, ow fastest (CUDA caps grid z at 65,535); (global): global (N·C).
#include "common.h"

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
