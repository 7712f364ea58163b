// winograd.cl — the two transforms of a Winograd F(4×4, 3×3) convolution (3×3, stride 1, dilation 1, group 1),
// Lavin & Gray's minimal filtering: each 4×4 output tile comes from a 6×6 input patch d as
//   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A,
// 36 multiplies per tile and channel pair instead of 144. The element-wise products summed over channels are
// 36 independent GEMMs U_p[M × C] · V_p[C × T] (p = one of the 6×6 positions, T = tiles of the whole batch),
// which the host runs as one grouped 1×1 launch of conv.cl's pointwise path (group = position).
//   winograd_input : x[N][C][H][W] (pads implicit) → V[36][C][T]   (fp32 whatever x's storage)
//   winograd_output: Mo[36][M][T] → y[N][M][OH][OW] with conv.cl's epilogue: + bias, + residual, activation.
// Tile t = (n·TH + th)·TW + tw covers outputs [4·th, 4·th + 4) × [4·tw, 4·tw + 4); partial edge tiles are
// computed whole and their outside outputs not stored. Launch either kernel with tiles along dim 0 (consecutive
// work-items write, or read, consecutive V/Mo elements) and channels along dim 1.
#include "common.h"
#include "activation.h"
#include "storage.h"
#include "winograd.h"


__kernel void winograd_input(const int N, const int C, const int H, const int W, const int TH, const int TW,
                             const int PT, const int PL, const __global XT* restrict x, const idx_t x_off,
                             __global float* restrict v, const idx_t v_off) {
    const int T = N * TH * TW;
    const int t = (int)GID0;
    const int c = (int)GID1;
    if (t >= T || c >= C) return;
    const int tw = t % TW, th = (t / TW) % TH, n = t / TW / TH;
    const int ih0 = th * 4 - PT, iw0 = tw * 4 - PL;
    const __global XT* xp = x + x_off + ((idx_t)n * C + c) * H * W;
    float d[6][6];
#pragma unroll
    for (int i = 0; i < 6; i++) {
        const int ih = ih0 + i;
#pragma unroll
        for (int j = 0; j < 6; j++) {
            const int iw = iw0 + j;
            d[i][j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? LDX(xp, (idx_t)ih * W + iw) : 0.0f;
        }
    }
    // Bᵀ d: down each column; then (Bᵀ d) B: along each row.
    float e[6][6];
#pragma unroll
    for (int j = 0; j < 6; j++)
        WINO_BT(d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j], e[0][j], e[1][j], e[2][j], e[3][j], e[4][j], e[5][j]);
    const idx_t plane = (idx_t)C * T;
    __global float* vp = v + v_off + (idx_t)c * T + t;
#pragma unroll
    for (int i = 0; i < 6; i++) {
        float o0, o1, o2, o3, o4, o5;
        WINO_BT(e[i][0], e[i][1], e[i][2], e[i][3], e[i][4], e[i][5], o0, o1, o2, o3, o4, o5);
        vp[(6 * i + 0) * plane] = o0;
        vp[(6 * i + 1) * plane] = o1;
        vp[(6 * i + 2) * plane] = o2;
        vp[(6 * i + 3) * plane] = o3;
        vp[(6 * i + 4) * plane] = o4;
        vp[(6 * i + 5) * plane] = o5;
    }
}

__kernel void winograd_output(const int N, const int M, const int OH, const int OW, const int TH, const int TW,
                              const __global float* restrict mo, const idx_t mo_off,
                              const __global float* restrict bias, const idx_t b_off,
                              const __global XT* restrict res, const idx_t r_off,
                              __global XT* restrict y, const idx_t y_off, const float act_a, const float act_b) {
    const int T = N * TH * TW;
    const int t = (int)GID0;
    const int m = (int)GID1;
    if (t >= T || m >= M) return;
    const int tw = t % TW, th = (t / TW) % TH, n = t / TW / TH;
    const idx_t plane = (idx_t)M * T;
    const __global float* mp = mo + mo_off + (idx_t)m * T + t;
    float s[6][6];
#pragma unroll
    for (int p = 0; p < 36; p++) s[p / 6][p % 6] = mp[p * plane];
    // Aᵀ s: down each column (6 → 4 rows); then (Aᵀ s) A: along each row.
    float e[4][6];
#pragma unroll
    for (int j = 0; j < 6; j++) WINO_AT(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], e[0][j], e[1][j], e[2][j], e[3][j]);
    const float bv = BIAS_AT(bias, b_off + m);
    const idx_t plane_off = ((idx_t)n * M + m) * OH * OW;
    // Guards, not breaks: the fully unrolled tile keeps its values in registers.
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int oh = th * 4 + i;
        float o[4];
        WINO_AT(e[i][0], e[i][1], e[i][2], e[i][3], e[i][4], e[i][5], o[0], o[1], o[2], o[3]);
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const int ow = tw * 4 + j;
            if (oh >= OH || ow >= OW) continue;
            const idx_t at = plane_off + (idx_t)oh * OW + ow;
            float val = o[j] + bv;
#if HAS_RES
            val += LDX(res, r_off + at);
#endif
            STX(y, y_off + at, apply_act(val, act_a, act_b));
        }
    }
}
