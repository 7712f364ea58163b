// linear.cl — a Linear layer with its epilogue in one pass: Y[M×N] = act(X[M×K]·W[K×N] + bias[N] + R[M×N]),
// all row-major fp32. Transformers spend most of their time here (QKV, projections, MLP), and the bias, the
// GELU and the residual add would otherwise each read and write the whole activation once more.
// Tiles as in conv.cl: each work-group computes TILE_M rows × TILE_N columns, its work-items WPT_M × WPT_N
// outputs each, through local tiles of depth TILE_K: the X tile transposed (as[k][m]) and the W panel
// (bs[k][n], a row copy: W is already K×N). Columns (features) are the vector dimension on a CPU.
// SUBS > 1 (one work-item per group, the CPU form): the group's rows are SUBS sub-blocks of SUB_M rows done one
// after another, reusing the packed W panel; the host deepens TILE_K to the whole K where local memory allows, so
// the panel is packed once. ACC_LOCAL (K deeper than that): each panel is packed once for all sub-blocks and their
// accumulators wait in local memory between K tiles (as in conv.cl; a round trip per tile, so only when needed).
// X_DIRECT (one work-item per group, i.e. CPUs; conv.cl's W_DIRECT): the product reads each X element straight from
// its row (WPT_M sequential streams, broadcast from L1) instead of transposing a sub-block of X into local memory per
// K tile, a scalar repack that cost more than the FMAs it fed; with WPT_N a multiple of 16 the product is written
// with float16 vectors (vec_mac.h), as conv.cl's VEC_MAC.
// Work-group dim 0 walks row tiles and dim 1 column tiles, so consecutive groups reuse the same W panel.
// Dim 2 walks a batch of independent products (MatMul's batched operands): entry t reads X, W and writes Y (and R) at
// t·x_batch, t·w_batch and t·y_batch elements further on.
// Launch: global (ceil(M/TILE_M)·THREADS_N, ceil(N/TILE_N)·THREADS_M, batch), local (THREADS_N, THREADS_M, 1).
#include "common.h"
#include "activation.h"

#ifndef TILE_M
#define TILE_M 64
#endif
#ifndef TILE_N
#define TILE_N 64
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif
#ifndef SUBS
#define SUBS 1
#endif
#define SUB_M (TILE_M / SUBS)
#define THREADS_M (SUB_M / WPT_M)
#define THREADS_N (TILE_N / WPT_N)
#define THREADS (THREADS_M * THREADS_N)
#ifndef ACC_LOCAL
#define ACC_LOCAL 0
#endif
#if SUBS > 1 && THREADS != 1
#error SUBS > 1 needs one work-item per work-group
#endif
#ifdef CUDA
#define FMA(a, b, c) fmaf((a), (b), (c))
#else
#define FMA(a, b, c) fma((a), (b), (c))
#endif
#if THREADS == 1
#define X_DIRECT 1
#define A_AT(i, kk) xrow[i][k0 + (kk)]
#else
#define X_DIRECT 0
#define A_AT(i, kk) as[kk][ty + (i) * THREADS_M]
#endif

// Rows [ms, ms + SUB_M) × [k0, k0 + TILE_K) of X into as, transposed; zero outside.
inline void load_x(LOCAL_PTR float* as, const __global float* restrict x, const int ms, const int k0, const int M,
                   const int K, const int tid) {
    for (int i = tid; i < SUB_M * TILE_K; i += THREADS) {
        const int mm = i / TILE_K, kk = i % TILE_K;
        const int m = ms + mm, k = k0 + kk;
        as[kk * SUB_M + mm] = (m < M && k < K) ? x[(idx_t)m * K + k] : 0.0f;
    }
}

// Rows [k0, k0 + TILE_K) × columns [n0, n0 + TILE_N) of W into bs; zero outside. A full tile copies whole rows.
inline void load_w(LOCAL_PTR float* bs, const __global float* restrict w, const int k0, const int n0, const int K,
                   const int N, const int tid) {
    if (THREADS == 1 && k0 + TILE_K <= K && n0 + TILE_N <= N) {
        // Row by row: each inner loop is one contiguous copy that vectorises (a flat loop did not, on PoCL).
        for (int kk = 0; kk < TILE_K; kk++) {
            const __global float* row = w + (idx_t)(k0 + kk) * N + n0;
            for (int nn = 0; nn < TILE_N; nn++) bs[kk * TILE_N + nn] = row[nn];
        }
        return;
    }
    for (int i = tid; i < TILE_K * TILE_N; i += THREADS) {
        const int kk = i / TILE_N, nn = i % TILE_N;
        const int k = k0 + kk, n = n0 + nn;
        bs[i] = (k < K && n < N) ? w[(idx_t)k * N + n] : 0.0f;
    }
}

#if X_DIRECT && !defined(CUDA) && WPT_N % 16 == 0
#include "vec_mac.h"
#define NV (WPT_N / 16)
#define PANEL_ROW(kk) (&bs[kk][0])
#define MAC_TILE(kmax) {                                                                                  \
        float16 av[WPT_M][NV];                                                                            \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                                 \
            _Pragma("unroll") for (int v = 0; v < NV; v++) av[i][v] = vload16(v, acc[i]);                 \
        VEC_MAC(WPT_M, NV, av, kmax, A_AT, PANEL_ROW);                                                    \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                                 \
            _Pragma("unroll") for (int v = 0; v < NV; v++) vstore16(av[i][v], v, acc[i]);                 \
    }
#else
#define MAC_TILE(kmax)                                                                   \
    for (int kk = 0; kk < (kmax); kk++) {                                                \
        float ra[WPT_M], rb[WPT_N];                                                      \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++) ra[i] = A_AT(i, kk);          \
        _Pragma("unroll") for (int j = 0; j < WPT_N; j++) rb[j] = bs[kk][tx + j * THREADS_N]; \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                \
            _Pragma("unroll") for (int j = 0; j < WPT_N; j++) acc[i][j] = FMA(ra[i], rb[j], acc[i][j]); \
    }
#endif

// X_DIRECT: the sub-block's X rows (rows past M re-read the last one; never stored).
#if X_DIRECT
#define ROW_OFFSETS(ms) const __global float* xrow[WPT_M]; \
    _Pragma("unroll") for (int i = 0; i < WPT_M; i++) xrow[i] = X + (idx_t)min((ms) + i, M - 1) * K
#else
#define ROW_OFFSETS(ms)
#endif

// Epilogue of one sub-block: + bias[n], + R[m, n], activation, store. Not unrolled (compile time).
inline void store_rows(float acc[WPT_M][WPT_N], const int ms, const int n0, const int tx, const int ty, const int M,
                       const int N, const __global float* restrict bias, const __global float* restrict res,
                       __global float* restrict y, const float act_a, const float act_b) {
    for (int i = 0; i < WPT_M; i++) {
        const int m = ms + ty + i * THREADS_M;
        if (m >= M) continue;
        const idx_t row = (idx_t)m * N;
        if (THREADS_N == 1 && n0 + TILE_N <= N) {
            // One work-item holds the whole row segment: a branch-free run that vectorises.
            for (int j = 0; j < WPT_N; j++) {
                float v = acc[i][j];
#if HAS_BIAS
                v += bias[n0 + j];
#endif
#if HAS_RES
                v += res[row + n0 + j];
#endif
                y[row + n0 + j] = apply_act(v, act_a, act_b);
            }
            continue;
        }
        for (int j = 0; j < WPT_N; j++) {
            const int n = n0 + tx + j * THREADS_N;
            if (n >= N) continue;
            float v = acc[i][j];
#if HAS_BIAS
            v += bias[n];
#endif
#if HAS_RES
            v += res[row + n];
#endif
            y[row + n] = apply_act(v, act_a, act_b);
        }
    }
}

__kernel KERNEL_BOUNDS(THREADS)
void linear_f32(const int M, const int N, const int K,
                const __global float* restrict x, const idx_t x_off,
                const __global float* restrict w, const idx_t w_off,
                const __global float* restrict bias, const idx_t b_off,
                const __global float* restrict res, const idx_t r_off,
                __global float* restrict y, const idx_t y_off,
                const float act_a, const float act_b,
                const idx_t x_batch, const idx_t w_batch, const idx_t y_batch) {
#if !X_DIRECT
    __local float as[TILE_K][SUB_M];
#endif
    __local float bs[TILE_K][TILE_N];
    const int tx = LID0, ty = LID1, tid = ty * THREADS_N + tx;
    const int m0 = (int)get_group_id(0) * TILE_M;
    const int n0 = (int)get_group_id(1) * TILE_N;
    const idx_t t = (idx_t)get_group_id(2);
    const __global float* X = x + x_off + t * x_batch;
    const __global float* Wt = w + w_off + t * w_batch;
    const __global float* B = bias + b_off;
    const __global float* R = res + r_off + t * y_batch;
    __global float* Y = y + y_off + t * y_batch;
#if ACC_LOCAL
    __local float accs[SUBS][WPT_M][WPT_N];
    for (int sb = 0; sb < SUBS; sb++)
        for (int i = 0; i < WPT_M; i++)
            for (int j = 0; j < WPT_N; j++) accs[sb][i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        load_w(&bs[0][0], Wt, k0, n0, K, N, tid); // one work-item: no barriers needed on this path
        const int kmax = min(TILE_K, K - k0);
        for (int sub = 0; sub < SUBS; sub++) {
            const int ms = m0 + sub * SUB_M;
            if (ms >= M) break;
#if !X_DIRECT
            load_x(&as[0][0], X, ms, k0, M, K, tid);
#endif
            ROW_OFFSETS(ms);
            float acc[WPT_M][WPT_N];
#pragma unroll
            for (int i = 0; i < WPT_M; i++)
#pragma unroll
                for (int j = 0; j < WPT_N; j++) acc[i][j] = accs[sub][i][j];
            MAC_TILE(kmax);
#pragma unroll
            for (int i = 0; i < WPT_M; i++)
#pragma unroll
                for (int j = 0; j < WPT_N; j++) accs[sub][i][j] = acc[i][j];
        }
    }
    for (int sub = 0; sub < SUBS; sub++) {
        const int ms = m0 + sub * SUB_M;
        if (ms >= M) break;
        float acc[WPT_M][WPT_N];
        for (int i = 0; i < WPT_M; i++)
            for (int j = 0; j < WPT_N; j++) acc[i][j] = accs[sub][i][j];
        store_rows(acc, ms, n0, tx, ty, M, N, B, R, Y, act_a, act_b);
    }
#else
    for (int sub = 0; sub < SUBS; sub++) {
        const int ms = m0 + sub * SUB_M;
        if (ms >= M) break;
        float acc[WPT_M][WPT_N];
#pragma unroll
        for (int i = 0; i < WPT_M; i++)
#pragma unroll
            for (int j = 0; j < WPT_N; j++) acc[i][j] = 0.0f;
        ROW_OFFSETS(ms);
        for (int k0 = 0; k0 < K; k0 += TILE_K) {
#if !X_DIRECT
            load_x(&as[0][0], X, ms, k0, M, K, tid);
#endif
            // With a single K tile the W panel of the previous sub-block is still packed.
            if (sub == 0 || K > TILE_K) load_w(&bs[0][0], Wt, k0, n0, K, N, tid);
            barrier(CLK_LOCAL_MEM_FENCE);
            MAC_TILE(min(TILE_K, K - k0));
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        store_rows(acc, ms, n0, tx, ty, M, N, B, R, Y, act_a, act_b);
    }
#endif
}
