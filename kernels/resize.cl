// resize.cl — ONNX Resize over H and W of NCHW fp32 tensors (nearest and linear). Where each output
// pixel samples is decided on the host (Resize2d.Table, in double precision, per the spec's coordinate
// transformation and rounding modes): a table of (i0, i1, w) per output row, then per output column.
// Nearest copies x[i0]; linear blends (1 - w)·x[i0] + w·x[i1] along each axis.
// Launch: global N·C·OH·OW in one dimension (a 3-D grid would cap N·C at CUDA's 65,535 in z).
#include "common.h"

#ifndef RESIZE_LINEAR
#define RESIZE_LINEAR 0
#endif

__kernel void resize2d(const int H, const int W, const int OH, const int OW, const int NC,
                       const __global float* restrict x, const idx_t x_off,
                       const __global float* restrict tab, const idx_t tab_off,
                       __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= (idx_t)NC * OH * OW) return;
    UNRAVEL_PLANE_HW(i, OH, OW, nc)
    const __global float* th = tab + tab_off + 3 * (idx_t)oh;
    const __global float* tw = tab + tab_off + 3 * ((idx_t)OH + ow);
    const __global float* xp = x + x_off + nc * H * W;
    // Indices are exact in float (the host refuses sides of 2^24 or more).
    const idx_t h0 = (idx_t)th[0], w0 = (idx_t)tw[0];
#if RESIZE_LINEAR
    const idx_t h1 = (idx_t)th[1], w1 = (idx_t)tw[1];
    const float wh = th[2], ww = tw[2];
    const float top = (1.0f - ww) * xp[h0 * W + w0] + ww * xp[h0 * W + w1];
    const float bottom = (1.0f - ww) * xp[h1 * W + w0] + ww * xp[h1 * W + w1];
    y[y_off + (nc * OH + oh) * OW + ow] = (1.0f - wh) * top + wh * bottom;
#else
    y[y_off + (nc * OH + oh) * OW + ow] = xp[h0 * W + w0];
#endif
}
