// gemm.cl — tiled single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
// op(A) is M×K (A stored M×K, or K×M when TRANS_A); op(B) is K×N (B stored K×N, or N×K when TRANS_B).
// Each work-group computes a TILE_M×TILE_N block of C through local-memory tiles of depth TILE_K;
// each work-item accumulates WPT_M×WPT_N outputs in registers. Edges are zero-padded on load, so
// M, N, K need not be tile multiples. Launch: global (ceil(N/TILE_N)*THREADS_N, ceil(M/TILE_M)*THREADS_M),
// local (THREADS_N, THREADS_M).
// CUDA with TC=1 (opt-in, compute capability 8.0+) adds gemm_f32_tc below: the same product on tensor cores.
#include "common.h"
#include "tensor_core.h"

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
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#define THREADS_M (TILE_M / WPT_M)
#define THREADS_N (TILE_N / WPT_N)
#define THREADS (THREADS_M * THREADS_N)

inline float load_a(const __global float* a, int m, int k, int M, int K) {
    if (m >= M || k >= K) return 0.0f;
#if TRANS_A
    return a[(idx_t)k * M + m];
#else
    return a[(idx_t)m * K + k];
#endif
}

inline float load_b(const __global float* b, int k, int n, int K, int N) {
    if (k >= K || n >= N) return 0.0f;
#if TRANS_B
    return b[(idx_t)n * K + k];
#else
    return b[(idx_t)k * N + n];
#endif
}

__kernel KERNEL_BOUNDS(THREADS)
void gemm_f32(const int M, const int N, const int K, const float alpha, const float beta,
              const __global float* restrict a, const idx_t a_off,
              const __global float* restrict b, const idx_t b_off,
              __global float* restrict c, const idx_t c_off) {
    __local float as[TILE_K][TILE_M];
    __local float bs[TILE_K][TILE_N];
    const int tx = LID0, ty = LID1;
    const int tid = ty * THREADS_N + tx;
    const int m0 = (int)get_group_id(1) * TILE_M;
    const int n0 = (int)get_group_id(0) * TILE_N;
    const __global float* A = a + a_off;
    const __global float* B = b + b_off;

    float acc[WPT_M][WPT_N];
    for (int i = 0; i < WPT_M; i++)
        for (int j = 0; j < WPT_N; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        for (int i = tid; i < TILE_M * TILE_K; i += THREADS) {
            const int mm = i / TILE_K, kk = i % TILE_K;
            as[kk][mm] = load_a(A, m0 + mm, k0 + kk, M, K);
        }
        for (int i = tid; i < TILE_N * TILE_K; i += THREADS) {
#if TRANS_B
            const int nn = i / TILE_K, kk = i % TILE_K;
#else
            const int kk = i / TILE_N, nn = i % TILE_N;
#endif
            bs[kk][nn] = load_b(B, k0 + kk, n0 + nn, K, N);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TILE_K; kk++) {
            float ra[WPT_M], rb[WPT_N];
            for (int i = 0; i < WPT_M; i++) ra[i] = as[kk][ty + i * THREADS_M];
            for (int j = 0; j < WPT_N; j++) rb[j] = bs[kk][tx + j * THREADS_N];
            for (int i = 0; i < WPT_M; i++)
                for (int j = 0; j < WPT_N; j++) acc[i][j] = mad(ra[i], rb[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < WPT_M; i++) {
        const int m = m0 + ty + i * THREADS_M;
        if (m >= M) continue;
        for (int j = 0; j < WPT_N; j++) {
            const int n = n0 + tx + j * THREADS_N;
            if (n >= N) continue;
            const idx_t o = c_off + (idx_t)m * N + n;
            c[o] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * c[o];
        }
    }
}

#if TC
// Tensor-core GEMM: 64×64 block of C per work-group of 4 warps (local (128, 1), global (ceil(N/64)·128,
// ceil(M/64))), each warp 32×32 as 2×4 mma.m16n8k16 tiles. A and B are read as fp32 (with load_a/load_b's
// zero padding and transposes), rounded to fp16 into local memory, multiplied with fp32 accumulation: results
// differ from gemm_f32 by the fp16 rounding of the inputs, which is why this path is opt-in, never the default.
// Two epilogues: gemm_f32_tc (alpha·AB + beta·C, as gemm_f32) and product_tc (act(AB + R), as the conv kernel's
// 1×1 path that MatMul.Product otherwise runs on; ACT and HAS_RES as in conv.cl).
#include "activation.h"
#ifndef HAS_RES
#define HAS_RES 0
#endif
#define TC_BM 64
#define TC_BN 64
#define TC_BK 32
#define TC_PAD 8 // keeps the rows' 2c reads of different lanes off the same bank

// acc[i][j][e]: this lane's share of the block's product (element e of mma tile (i, j) of its warp's 32×32).
inline void gemm_tc_block(const int M, const int N, const int K, const __global float* A, const __global float* B,
                          ushort (*as)[TC_BK + TC_PAD], ushort (*bs)[TC_BK + TC_PAD], float acc[2][4][4]) {
    const int tid = LID0, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, cq = lane & 3;
    const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    const int m0 = (int)get_group_id(1) * TC_BM, n0 = (int)get_group_id(0) * TC_BN;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TC_BK) {
        // Consecutive work-items read consecutive addresses in either storage order.
        for (int i = tid; i < TC_BM * TC_BK; i += 128) {
#if TRANS_A
            const int mm = i % TC_BM, kk = i / TC_BM;
#else
            const int mm = i / TC_BK, kk = i % TC_BK;
#endif
            as[mm][kk] = (ushort)tc_f16_bits(load_a(A, m0 + mm, k0 + kk, M, K));
        }
        for (int i = tid; i < TC_BN * TC_BK; i += 128) {
#if TRANS_B
            const int nn = i / TC_BK, kk = i % TC_BK;
#else
            const int kk = i / TC_BN, nn = i % TC_BN;
#endif
            bs[nn][kk] = (ushort)tc_f16_bits(load_b(B, k0 + kk, n0 + nn, K, N));
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int ks = 0; ks < TC_BK; ks += 16) {
            uint fa[2][4], fb[4][2];
            for (int i = 0; i < 2; i++) {
                const int r = wm + i * 16 + g, k = ks + 2 * cq;
                fa[i][0] = tc_pack_bits(as[r][k], as[r][k + 1]);
                fa[i][1] = tc_pack_bits(as[r + 8][k], as[r + 8][k + 1]);
                fa[i][2] = tc_pack_bits(as[r][k + 8], as[r][k + 9]);
                fa[i][3] = tc_pack_bits(as[r + 8][k + 8], as[r + 8][k + 9]);
            }
            for (int j = 0; j < 4; j++) {
                const int n = wn + j * 8 + g, k = ks + 2 * cq;
                fb[j][0] = tc_pack_bits(bs[n][k], bs[n][k + 1]);
                fb[j][1] = tc_pack_bits(bs[n][k + 8], bs[n][k + 9]);
            }
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 4; j++) tc_mma(acc[i][j], fa[i], fb[j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// The one store loop of both epilogues: writes this lane's in-range outputs (m, n) of the block, v its product.
// product 0 (gemm_f32_tc): y[o] = alpha·v, plus beta·y[o] unless beta is 0. product 1 (product_tc): y[o] = act(v + r[o])
// (r only when HAS_RES; r may be y itself: each element is read before it is written, by the same lane).
// product is a constant at both call sites, so the inlined loop keeps one epilogue.
inline void gemm_tc_store(float acc[2][4][4], const int M, const int N, const int product,
                          __global float* y, const idx_t y_off, const float alpha, const float beta,
                          const __global float* r, const idx_t r_off, const float act_a, const float act_b) {
    const int lane = LID0 & 31, warp = LID0 >> 5;
    // Element e of mma tile (i, j) sits at row g (+8 for e ≥ 2), columns 2·cq and 2·cq + 1 of the 16×8 tile.
    const int row0 = (int)get_group_id(1) * TC_BM + (warp >> 1) * 32 + (lane >> 2);
    const int col0 = (int)get_group_id(0) * TC_BN + (warp & 1) * 32 + 2 * (lane & 3);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 4; e++) {
                const int m = row0 + i * 16 + (e >> 1) * 8, n = col0 + j * 8 + (e & 1);
                if (m >= M || n >= N) continue;
                const idx_t o = (idx_t)m * N + n;
                const float v = acc[i][j][e];
                if (product) {
#if HAS_RES
                    y[y_off + o] = apply_act(v + r[r_off + o], act_a, act_b);
#else
                    y[y_off + o] = apply_act(v, act_a, act_b);
#endif
                } else {
                    y[y_off + o] = beta == 0.0f ? alpha * v : alpha * v + beta * y[y_off + o];
                }
            }
}

__kernel KERNEL_BOUNDS(128)
void gemm_f32_tc(const int M, const int N, const int K, const float alpha, const float beta,
                 const __global float* restrict a, const idx_t a_off,
                 const __global float* restrict b, const idx_t b_off,
                 __global float* restrict c, const idx_t c_off) {
    __local ushort as[TC_BM][TC_BK + TC_PAD]; // [m][k]
    __local ushort bs[TC_BN][TC_BK + TC_PAD]; // [n][k]: a B fragment's k pairs are adjacent
    float acc[2][4][4];
    gemm_tc_block(M, N, K, a + a_off, b + b_off, as, bs, acc);
    gemm_tc_store(acc, M, N, 0, c, c_off, alpha, beta, 0, 0, 0.0f, 0.0f);
}

// y = act(A·B + R), A [M×K], B [K×N], R and y [M×N], row-major (TRANS_A = TRANS_B = 0). R may be y itself.
__kernel KERNEL_BOUNDS(128)
void product_tc(const int M, const int N, const int K,
                const __global float* restrict a, const idx_t a_off,
                const __global float* restrict b, const idx_t b_off,
                const __global float* r, const idx_t r_off,
                __global float* y, const idx_t y_off, const float act_a, const float act_b) {
    __local ushort as[TC_BM][TC_BK + TC_PAD];
    __local ushort bs[TC_BN][TC_BK + TC_PAD];
    float acc[2][4][4];
    gemm_tc_block(M, N, K, a + a_off, b + b_off, as, bs, acc);
    gemm_tc_store(acc, M, N, 1, y, y_off, 1.0f, 0.0f, r, r_off, act_a, act_b);
}
#endif
