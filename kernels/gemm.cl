// gemm.cl — tiled single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
// op(A) is M×K (A stored M×K, or K×M when TRANS_A); op(B) is K×N (B stored K×N, or N×K when TRANS_B).
// Each work-group computes a TILE_M×TILE_N block of C through local-memory tiles of depth TILE_K;
// each work-item accumulates WPT_M×WPT_N outputs in registers. Edges are zero-padded on load, so
// M, N, K need not be tile multiples. Launch: global (ceil(N/TILE_N)*THREADS_N, ceil(M/TILE_M)*THREADS_M),
// local (THREADS_N, THREADS_M).
#include "common.h"

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
