// conv.cl — 2-D convolution, NCHW, as an implicit GEMM with a fused epilogue.
// Per group g the convolution is the GEMM  Y_g[M/G × N·OH·OW] = W_g[M/G × K] · X̂_g[K × N·OH·OW]
// with K = (C/G)·KH·KW and X̂ the im2col view of the input, never materialised: each work-group
// gathers a TILE_K×TILE_N slice of X̂ (bounds-checked against the pads) and a TILE_K×TILE_M slice of
// W into local memory, and each work-item accumulates WPT_M×WPT_N outputs in registers.
// POINTWISE (1×1 kernel, stride 1, no pads) turns the gather into a plain row copy: the GEMM path.
// Epilogue: + bias[co], + residual (same shape as Y, added before the activation), activation.
// On a CPU device (PoCL) one work-item per group with WPT = TILE works best: the local tiles become
// packed panels and the WPT_N loop vectorises; on a GPU use many work-items per group.
// Work-group dim 0 walks the output-channel tiles and dim 1 the pixel tiles, so consecutive groups reuse
// the same input tile while it is still in cache (on a CPU that halves DRAM traffic for thin layers).
// Launch: global (ceil((M/G)/TILE_M)·THREADS_N, ceil(N·OH·OW/TILE_N)·THREADS_M, G), local (THREADS_N, THREADS_M, 1);
// with PIXELS_DIM0 the two tile counts swap places: (ceil(N·OH·OW/TILE_N)·THREADS_N, ceil((M/G)/TILE_M)·THREADS_M, G).
#include "common.h"
#include "activation.h"
#include "storage.h"

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
#ifndef POINTWISE
#define POINTWISE 0
#endif

// A work-item may cover its channel tile in SUBS sub-blocks of SUB_M rows, one after another, reusing
// the packed input tile: on a CPU this keeps work-groups large when K is small (thin 1×1 convs).
#ifndef SUBS
#define SUBS 1
#endif
#define SUB_M (TILE_M / SUBS)
// ACC_LOCAL (one work-item per group, K deeper than TILE_K): gather each K tile once (or read it in place,
// X_IN_PLACE) for all sub-blocks and keep their accumulators in local memory between tiles, instead of
// re-gathering the tile per sub-block.
// On a CPU the gather (bounds tests, short runs on small deep-layer images) costs several times the FMAs.
// PIXELS_DIM0 (GPUs): pixel tiles along dim 0, whose grid may be 2^31 − 1 groups on CUDA; dims 1 and 2 stop
// at 65,535 there, which a batch of 256 299×299 images would pass.
// PIXEL_STEPS (one work-item per group): a work-group covers this many consecutive pixel tiles, one after another,
// and while it multiplies the first channel sub-block of one tile it prefetches the next tile's input rows: thin 1×1
// convs on large maps are memory-bound, and their rows are short runs at a plane's stride that no hardware
// prefetcher follows.
#ifndef PIXEL_STEPS
#define PIXEL_STEPS 1
#endif
#ifndef PIXELS_DIM0
#define PIXELS_DIM0 0
#endif
#ifndef ACC_LOCAL
#define ACC_LOCAL 0
#endif
#if ACC_LOCAL && (TILE_M / SUBS / WPT_M) * (TILE_N / WPT_N) != 1
#error ACC_LOCAL needs one work-item per work-group
#endif
#define THREADS_M (SUB_M / WPT_M)
#define THREADS_N (TILE_N / WPT_N)
// fma, not mad: PoCL expands mad to a multiply and an add, while fma becomes one vfmadd on FMA CPUs.
#ifdef CUDA
#define FMA(a, b, c) fmaf((a), (b), (c))
#else
#define FMA(a, b, c) fma((a), (b), (c))
#endif
#define THREADS (THREADS_M * THREADS_N)
// Cooperative loads of the X̂ tile: whole rows per pass when there are more work-items than columns.
#if THREADS >= TILE_N
#define B_ROW_STEP (THREADS / TILE_N)
#define B_COL_STEP TILE_N
#else
#define B_ROW_STEP 1
#define B_COL_STEP THREADS
#endif

// W_DIRECT (one work-item per group, i.e. CPUs): the multiply-accumulate reads each weight straight from its
// row in global memory (WPT_M sequential streams, broadcast from L1) instead of repacking the weight tile into
// local memory per sub-block and panel: that scalar repack cost more than the FMAs it fed.
#if THREADS == 1
#define W_DIRECT 1
#define A_AT(i, kk) LDW(wg, wrow[i] + k0 + (kk))
#else
#define W_DIRECT 0
#define A_AT(i, kk) as[kk][ty + (i) * THREADS_M]
#endif

// VEC_MAC (OpenCL on CPUs, pixel tile a multiple of 16): the multiply-accumulate written with float16 vectors.
// LLVM's vectorizers emit 256-bit code for skylake-avx512-class targets (prefer-vector-width=256), whose 6×64
// accumulators spilled; explicit float16 ops are legalised to 512-bit registers instead: 2× the FMA width on
// cores with full-width AVX-512 (Zen 5), and on AVX2 targets each splits into two 256-bit halves.
#if W_DIRECT && !defined(CUDA) && WPT_N % 16 == 0
#include "vec_mac.h"
#define VEC_TILE 1
#define NV (WPT_N / 16)
#define BS_ROW(kk) (&bs[kk][0])
// The register tile as float16 values from start to store: a float tile moved through vload16/vstore16 went through
// the stack in split pieces (PoCL's vstore16), and each whole reload then waited for them (no store forwarding).
#define ACC_DECL(a) float16 a[WPT_M][NV]
#define ACC_ZERO(a) VEC_ZERO(WPT_M, NV, a)
#define ACC_FROM_LOCAL(a, la)                                                                             \
    _Pragma("unroll") for (int i_ = 0; i_ < WPT_M; i_++)                                                  \
        _Pragma("unroll") for (int v_ = 0; v_ < NV; v_++) a[i_][v_] = *(volatile LOCAL_PTR float16u*)&(la)[i_][16 * v_]
#define ACC_TO_LOCAL(a, la)                                                                               \
    _Pragma("unroll") for (int i_ = 0; i_ < WPT_M; i_++)                                                  \
        _Pragma("unroll") for (int v_ = 0; v_ < NV; v_++) *(volatile LOCAL_PTR float16u*)&(la)[i_][16 * v_] = a[i_][v_]
// The K loop runs on a copy: acc itself is indexed at run time by the epilogue, which keeps it in memory.
#define MAC_TILE_PF(kmax, B_ROW, PF) {                                                                    \
        float16 av[WPT_M][NV];                                                                            \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                                 \
            _Pragma("unroll") for (int v = 0; v < NV; v++) av[i][v] = acc[i][v];                          \
        VEC_MAC_PF(WPT_M, NV, av, (kmax), A_AT, B_ROW, PF);                                               \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                                 \
            _Pragma("unroll") for (int v = 0; v < NV; v++) acc[i][v] = av[i][v];                          \
    }
#define MAC_TILE_FROM(kmax, B_ROW) MAC_TILE_PF(kmax, B_ROW, VEC_NO_PREFETCH)
#define MAC_TILE(kmax) MAC_TILE_FROM(kmax, BS_ROW)
#else
#define VEC_TILE 0
#define ACC_DECL(a) float a[WPT_M][WPT_N]
#define ACC_ZERO(a)                                                                                       \
    _Pragma("unroll") for (int i_ = 0; i_ < WPT_M; i_++)                                                  \
        _Pragma("unroll") for (int j_ = 0; j_ < WPT_N; j_++) a[i_][j_] = 0.0f
#define ACC_FROM_LOCAL(a, la)                                                                             \
    _Pragma("unroll") for (int i_ = 0; i_ < WPT_M; i_++)                                                  \
        _Pragma("unroll") for (int j_ = 0; j_ < WPT_N; j_++) a[i_][j_] = (la)[i_][j_]
#define ACC_TO_LOCAL(a, la)                                                                               \
    _Pragma("unroll") for (int i_ = 0; i_ < WPT_M; i_++)                                                  \
        _Pragma("unroll") for (int j_ = 0; j_ < WPT_N; j_++) (la)[i_][j_] = a[i_][j_]
// Multiply-accumulates kmax rows of the packed tiles into acc. Fully unrolled so the register tile stays in
// registers (PoCL's LLVM keeps it on the stack otherwise).
#define MAC_TILE(kmax)                                                                   \
    for (int kk = 0; kk < (kmax); kk++) {                                                \
        float ra[WPT_M], rb[WPT_N];                                                      \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++) ra[i] = A_AT(i, kk);          \
        _Pragma("unroll") for (int j = 0; j < WPT_N; j++) rb[j] = bs[kk][tx + j * THREADS_N]; \
        _Pragma("unroll") for (int i = 0; i < WPT_M; i++)                                \
            _Pragma("unroll") for (int j = 0; j < WPT_N; j++) acc[i][j] = FMA(ra[i], rb[j], acc[i][j]); \
    }
#endif

// Rows [ms, ms + SUB_M) × [k0, k0 + TILE_K) of the group's weights into as (zero outside).
inline void load_a(LOCAL_PTR float* as, const __global WT* restrict wg, const int ms, const int k0, const int Mg,
                   const int Kg, const int tid) {
    for (int i = tid; i < SUB_M * TILE_K; i += THREADS) {
        const int mm = i / TILE_K, kk = i % TILE_K;
        const int m = ms + mm, k = k0 + kk;
        as[kk * SUB_M + mm] = (m < Mg && k < Kg) ? LDW(wg, (idx_t)m * Kg + k) : 0.0f;
    }
}

// GATHER_PF (one work-item per group, CPUs): the gather also touches the same rows GATHER_PF channels ahead. Its
// reads are short runs scattered over channel planes, which no hardware prefetcher follows: ResNet-50's stride-2
// 1×1 downsample convs spent about a third of their time waiting in this copy.
#if THREADS == 1 && !defined(CUDA)
#ifndef GATHER_PF
#define GATHER_PF 4
#endif
#define PREFETCH_RUN(p, n)                                                                                 \
    for (int q_ = 0; q_ < (n); q_ += 16) __builtin_prefetch((const __global void*)((p) + GATHER_PF * HW + q_), 0, 3)
#else
#define PREFETCH_RUN(p, n)
#endif

// Rows [k0, k0 + TILE_K) of the im2col matrix X̂ for the group's TILE_N columns into bs (zero outside).
// xend: one past the input's last element (the stride-2 copy below may read past a row, never past the tensor).
inline void gather_b(LOCAL_PTR float* bs, const int k0, const int Kg, const __global XT* restrict x,
                     const __global XT* restrict xend, const idx_t HW,
                     const int H, const int W, const int KK, const int KW, const int SW, const int DH, const int DW,
                     const int OHW, const idx_t y_off, LOCAL_PTR const idx_t* col_x, LOCAL_PTR const idx_t* col_y,
                     LOCAL_PTR const int* col_ih, LOCAL_PTR const int* col_iw, LOCAL_PTR const int* col_run,
                     const int b_row0, const int c0) {
    for (int kk = b_row0; kk < TILE_K; kk += B_ROW_STEP) {
        LOCAL_PTR float* brow = bs + kk * TILE_N;
        const int k = k0 + kk;
        if (k >= Kg) {
            for (int nn = c0; nn < TILE_N; nn += B_COL_STEP) brow[nn] = 0.0f;
            continue;
        }
#if POINTWISE
        // Columns run contiguously within an image: copy each image's run of the tile as one segment.
        const idx_t coff = (idx_t)k * HW;
        for (int seg = 0; seg < TILE_N;) {
            if (col_x[seg] < 0) {
                for (int nn = seg + c0; nn < TILE_N; nn += B_COL_STEP) brow[nn] = 0.0f;
                break;
            }
            const int p0 = (int)((col_y[seg] - y_off) % OHW);
            const int len = min(TILE_N - seg, OHW - p0);
            const __global XT* row = x + col_x[seg] + coff + p0 - seg;
            PREFETCH_RUN(row + seg, len);
            for (int nn = seg + c0; nn < seg + len; nn += B_COL_STEP) brow[nn] = LDX(row, nn);
            seg += len;
        }
#else
        const int ci = k / KK, kr = k % KK, kh = kr / KW, kw = kr % KW;
        const idx_t coff = (idx_t)ci * HW;
        const int dh = kh * DH, dw = kw * DW;
#if THREADS == 1
        for (int s0 = 0; s0 < TILE_N;) {
            const int len = col_run[s0];
            const int ih = col_ih[s0] + dh, iw0 = col_iw[s0] + dw;
            if (col_x[s0] < 0 || ih < 0 || ih >= H) {
                for (int j = 0; j < len; j++) brow[s0 + j] = 0.0f;
            } else {
                // Outputs [j0, j1) of the run read inside the row; those before and after read the pads. The
                // interior is a plain copy (a vector move for stride 1), not a bounds test per element.
                const __global XT* row = x + col_x[s0] + coff + (idx_t)ih * W + iw0;
                const int j0 = iw0 >= 0 ? 0 : min(len, (SW - 1 - iw0) / SW);
                const int j1 = iw0 > W - 1 ? j0 : max(j0, min(len, (W - 1 - iw0) / SW + 1));
                LOCAL_PTR float* out = brow + s0;
                if (kw == 0) PREFETCH_RUN(row + j0 * SW, (j1 - j0) * SW + (KW - 1) * DW);
                for (int j = 0; j < j0; j++) out[j] = 0.0f;
                if (SW == 1)
                    for (int j = j0; j < j1; j++) out[j] = LDX(row, j);
                else {
                    int j = j0;
#if THREADS == 1 && !defined(CUDA) && !X_F16
                    // Stride 2 (downsample 1×1s, stride-2 3×3s): the even lanes of two whole loads, 16 outputs at a
                    // time, instead of one scalar load and store per output. The last 16 may reach past the run's end,
                    // and their loads past the row: those lanes are the next run's (or the next row's, or bs's spare
                    // row's), which are written after this one. On 14×14 and 7×7 maps every run was shorter than 16
                    // and went scalar: a quarter of ResNet-50's downsample time.
                    if (SW == 2)
                        for (; j < j1 && row + 2 * j + 32 <= xend; j += 16) {
                            const float16 a = *(const volatile __global float16u*)(row + 2 * j);
                            const float16 b = *(const volatile __global float16u*)(row + 2 * j + 16);
                            *(volatile LOCAL_PTR float16u*)(out + j) = (float16)(a.even, b.even);
                        }
#endif
                    for (; j < j1; j++) out[j] = LDX(row, j * SW);
                }
                for (int j = j1; j < len; j++) out[j] = 0.0f;
            }
            s0 += len;
        }
#else
        for (int nn = c0; nn < TILE_N; nn += B_COL_STEP) {
            const idx_t base = col_x[nn];
            const int ih = col_ih[nn] + dh, iw = col_iw[nn] + dw;
            const int ok = base >= 0 && ih >= 0 && ih < H && iw >= 0 && iw < W;
            brow[nn] = ok ? LDX(x, base + coff + (idx_t)ih * W + iw) : 0.0f;
        }
#endif
#endif
    }
}

#include "conv_epilogue.h"

__kernel KERNEL_BOUNDS(THREADS)
void conv2d(const int N, const int C, const int H, const int W, const int M, const int OH, const int OW,
            const int KH, const int KW, const int SH, const int SW, const int PT, const int PL,
            const int DH, const int DW, const int G,
            const __global XT* restrict x, const idx_t x_off,
            const __global WT* restrict w, const idx_t w_off,
            const __global float* restrict bias, const idx_t b_off,
            const __global XT* restrict res, const idx_t r_off,
            __global XT* restrict y, const idx_t y_off,
            const float act_a, const float act_b) {
#if !W_DIRECT
    __local float as[TILE_K][SUB_M];
#endif
    __local float bs[TILE_K + 1][TILE_N]; // a spare row: the stride-2 gather may write 15 lanes past a row's end
    __local idx_t col_x[TILE_N];   // offset of x[b][g·C/G][0][0], or -1 past the end
    __local idx_t col_y[TILE_N];   // offset of y[b][0][oh][ow]
    __local int col_ih[TILE_N], col_iw[TILE_N];
    __local int col_run[TILE_N];   // at the start of a run of columns on one input row: its length
#if VEC_TILE
    __local int vcut[NV];          // vector_cut of each 16 columns (conv_epilogue.h)
#endif
#if ACC_LOCAL
    __local float accs[SUBS][WPT_M][WPT_N];
#endif

    const int tx = LID0, ty = LID1, tid = ty * THREADS_N + tx;
    const int g = (int)get_group_id(2);
    const int Cg = C / G, Mg = M / G, KK = KH * KW, Kg = Cg * KK;
    const int OHW = OH * OW;
    const idx_t HW = (idx_t)H * W;
    const idx_t Ng = (idx_t)N * OHW;
    const __global XT* const xend = x + x_off + (idx_t)N * C * HW;
#if PIXELS_DIM0
    const idx_t tile0 = (idx_t)get_group_id(0) * PIXEL_STEPS;
    const int m0 = (int)get_group_id(1) * TILE_M;
#else
    const idx_t tile0 = (idx_t)get_group_id(1) * PIXEL_STEPS;
    const int m0 = (int)get_group_id(0) * TILE_M;
#endif
    for (int step = 0; step < PIXEL_STEPS; step++) {
        const idx_t n0 = (tile0 + step) * TILE_N;
        if (n0 >= Ng) break;
#if PIXEL_STEPS > 1
        barrier(CLK_LOCAL_MEM_FENCE); // the previous step's epilogue has read the column tables
#endif

        // Per-column geometry once per work-group, so the gather below needs no divisions by OH·OW.
        for (int nn = tid; nn < TILE_N; nn += THREADS) {
            const idx_t n = n0 + nn;
            if (n < Ng) {
                const int b = (int)(n / OHW), r = (int)(n % OHW), oh = r / OW, ow = r % OW;
                col_x[nn] = x_off + ((idx_t)b * C + (idx_t)g * Cg) * HW;
                col_y[nn] = y_off + (idx_t)b * M * OHW + r;
                col_ih[nn] = oh * SH - PT;
                col_iw[nn] = ow * SW - PL;
            } else {
                col_x[nn] = -1; col_y[nn] = -1; col_ih[nn] = 0; col_iw[nn] = 0;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#if THREADS == 1 && !POINTWISE
        // Runs of consecutive outputs on one output row read one input row at a fixed stride: the gather
        // below copies each run in one loop with the bounds test as a select (vectorises on CPUs).
        for (int s0 = 0; s0 < TILE_N;) {
            int len = 1;
            while (s0 + len < TILE_N && col_x[s0 + len] == col_x[s0] && col_ih[s0 + len] == col_ih[s0] &&
                   col_iw[s0 + len] == col_iw[s0] + len * SW) len++;
            col_run[s0] = len;
            s0 += len;
        }
#endif
#if THREADS >= TILE_N
        const int b_row0 = tid / TILE_N, c0 = tid % TILE_N;
#else
        const int b_row0 = 0, c0 = tid;
#endif

        // Output columns of a tile inside one image are contiguous: one run (in-place reads, whole-row stores).
        const int contiguous = THREADS_N == 1 && col_y[TILE_N - 1] >= 0 && col_y[TILE_N - 1] - col_y[0] == TILE_N - 1;
        const __global WT* wg = w + w_off + (idx_t)g * Mg * Kg;
#if POINTWISE && VEC_TILE && !X_F16 && !defined(CUDA)
        // X_IN_PLACE: a 1×1 tile whose pixels are one run of one image reads its input rows where they are (row k at
        // k·H·W past the run's start) instead of copying them into the local panel first.
#define X_IN_PLACE 1
        const int direct = contiguous;
        const __global float* xrun = x + col_x[0] + (col_y[0] - y_off) % OHW;
#define X_ROW(kk) (xrun + (idx_t)(k0 + (kk)) * HW)
    // The next pixel tile's part of the row (PIXEL_STEPS): a prefetch past an image's end touches nothing needed, harmlessly.
#define X_NEXT_PREFETCH(k, B_ROW)                                                                             \
    _Pragma("unroll") for (int q_ = 0; q_ <= NV; q_++)                                                        \
        __builtin_prefetch((const __global void*)(B_ROW(k) + TILE_N + min(16 * q_, WPT_N - 1)), 0, 3)
#else
#define X_IN_PLACE 0
#endif
#define GATHER_B(k0) gather_b(&bs[0][0], (k0), Kg, x, xend, HW, H, W, KK, KW, SW, DH, DW, OHW, y_off, \
                              col_x, col_y, col_ih, col_iw, col_run, b_row0, c0)
#if VEC_TILE
        for (int v = 0; v < NV; v++) vcut[v] = vector_cut(col_y + 16 * v);
#define STORE_TILE(ms) store_tile(acc, (ms), Mg, g, OHW, vcut, col_y, bias, b_off, res, r_off, y, y_off, act_a, act_b)
#define PREFETCH_EPILOGUE(ms) prefetch_epilogue((ms), Mg, g, OHW, vcut, col_y, res, r_off, y, y_off)
#else
#define PREFETCH_EPILOGUE(ms)
#define STORE_TILE(ms) store_tile(acc, (ms), tx, ty, Mg, g, OHW, contiguous, col_y, bias, b_off, res, r_off, y, y_off, act_a, act_b)
#endif
        // W_DIRECT: offsets of the sub-block's weight rows (rows past Mg re-read the last one; never stored).
#if W_DIRECT
#define ROW_OFFSETS(ms) idx_t wrow[WPT_M]; \
    _Pragma("unroll") for (int i = 0; i < WPT_M; i++) wrow[i] = (idx_t)min((ms) + i, Mg - 1) * Kg
#else
#define ROW_OFFSETS(ms)
#endif
#if ACC_LOCAL
        for (int sb = 0; sb < SUBS; sb++)
            for (int i = 0; i < WPT_M; i++)
                for (int j = 0; j < WPT_N; j++) accs[sb][i][j] = 0.0f;
        for (int k0 = 0; k0 < Kg; k0 += TILE_K) {
#if X_IN_PLACE
            if (!direct)
#endif
            GATHER_B(k0);
            const int kmax = min(TILE_K, Kg - k0);
            for (int sub = 0; sub < SUBS; sub++) {
                const int ms = m0 + sub * SUB_M;
                if (ms >= Mg) break;
                ROW_OFFSETS(ms);
                if (k0 + TILE_K >= Kg) PREFETCH_EPILOGUE(ms);
                ACC_DECL(acc);
                ACC_FROM_LOCAL(acc, accs[sub]);
#if X_IN_PLACE
                if (direct) MAC_TILE_FROM(kmax, X_ROW) else
#endif
                MAC_TILE(kmax);
                ACC_TO_LOCAL(acc, accs[sub]);
            }
        }
        for (int sub = 0; sub < SUBS; sub++) {
            const int ms = m0 + sub * SUB_M;
            if (ms >= Mg) break;
            ACC_DECL(acc);
            ACC_FROM_LOCAL(acc, accs[sub]);
            STORE_TILE(ms);
        }
#else
        for (int sub = 0; sub < SUBS; sub++) {
            const int ms = m0 + sub * SUB_M;
            if (ms >= Mg) break;
            ACC_DECL(acc);
            ACC_ZERO(acc);

            ROW_OFFSETS(ms);
            PREFETCH_EPILOGUE(ms);
            for (int k0 = 0; k0 < Kg; k0 += TILE_K) {
#if !W_DIRECT
                load_a(&as[0][0], wg, ms, k0, Mg, Kg, tid);
#endif
#if X_IN_PLACE
                if (direct) {
#if PIXEL_STEPS > 1
                    if (sub == 0) MAC_TILE_PF(min(TILE_K, Kg - k0), X_ROW, X_NEXT_PREFETCH) else
#endif
                    MAC_TILE_FROM(min(TILE_K, Kg - k0), X_ROW);
                    continue;
                }
#endif
                // With a single K tile the packed input tile of the previous sub-block is still valid.
                if (sub == 0 || Kg > TILE_K) GATHER_B(k0);
                barrier(CLK_LOCAL_MEM_FENCE);
                // The last tile may be partial: small K (first layers, thin 1×1s) must not pay for TILE_K.
                MAC_TILE(min(TILE_K, Kg - k0));
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            STORE_TILE(ms);
        }
#endif
    }
}
