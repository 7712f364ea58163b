// depthwise.cl — depthwise 2-D convolution (group == C, M = C·multiplier), NCHW, fused epilogue.
// Each work-item computes DW_WPT consecutive outputs of one output row; an interior fast path
// (no column bounds checks) lets the DW_WPT loop vectorise on CPUs. Rows of the input that fall in
// the pads are skipped whole. Epilogue as in conv.cl: + bias, + residual, activation.
// Launch: global (ceil(OW/DW_WPT), N·M·OH), local (1, DW_ROWS).
#include "common.h"
#include "activation.h"
#include "storage.h"

#ifndef DW_WPT
#define DW_WPT 16
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif
#ifndef HAS_RES
#define HAS_RES 0
#endif

__kernel void depthwise2d(const int N, const int C, const int H, const int W, const int M, const int OH, const int OW,
                          const int KH, const int KW, const int SH, const int SW, const int PT, const int PL,
                          const int DH, const int DW,
                          const __global XT* restrict x, const idx_t x_off,
                          const __global WT* restrict w, const idx_t w_off,
                          const __global float* restrict bias, const idx_t b_off,
                          const __global XT* restrict res, const idx_t r_off,
                          __global XT* restrict y, const idx_t y_off,
                          const float act_a, const float act_b) {
    const int ow0 = (int)get_global_id(0) * DW_WPT;
    const idx_t row = GID1;
    if (ow0 >= OW || row >= (idx_t)N * M * OH) return;
    const int oh = (int)(row % OH);
    const idx_t bc = row / OH;           // b·M + co
    const int co = (int)(bc % M), b = (int)(bc / M);
    const int ci = co / (M / C);
    const __global XT* xp = x + x_off + ((idx_t)b * C + ci) * H * W;
    const __global WT* wp = w + w_off + (idx_t)co * KH * KW;

    float acc[DW_WPT];
    for (int j = 0; j < DW_WPT; j++) acc[j] = 0.0f;
    const int iw0 = ow0 * SW - PL;
    const int interior = iw0 >= 0 && ow0 + DW_WPT <= OW && (ow0 + DW_WPT - 1) * SW - PL + (KW - 1) * DW < W;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * SH - PT + kh * DH;
        if (ih < 0 || ih >= H) continue;
        const __global XT* xr = xp + (idx_t)ih * W;
        for (int kw = 0; kw < KW; kw++) {
            const float wv = LDW(wp, kh * KW + kw);
            const int c0 = iw0 + kw * DW;
            if (interior) {
                for (int j = 0; j < DW_WPT; j++) acc[j] = mad(wv, LDX(xr, c0 + j * SW), acc[j]);
            } else {
                for (int j = 0; j < DW_WPT; j++) {
                    const int iw = c0 + j * SW;
                    if (iw >= 0 && iw < W) acc[j] = mad(wv, LDX(xr, iw), acc[j]);
                }
            }
        }
    }

#if HAS_BIAS
    const float bv = bias[b_off + co];
#else
    const float bv = 0.0f;
#endif
    const idx_t o = (bc * OH + oh) * OW + ow0;
    for (int j = 0; j < DW_WPT; j++) {
        if (ow0 + j >= OW) break;
        float v = acc[j] + bv;
#if HAS_RES
        v += LDX(res, r_off + o + j);
#endif
        STX(y, y_off + o + j, apply_act(v, act_a, act_b));
    }
}
