// conv_epilogue.h — the store of conv.cl's register tile: + bias[co], + residual (same shape as Y, added before the
// activation), activation, store. Included by conv.cl after its tile defines (WPT_M, WPT_N, THREADS_M/N, VEC_TILE,
// ACC_DECL). Not unrolled: the activation inlined WPT_M·WPT_N times would make compile times explode.
#ifndef GPUSEARCH_CONV_EPILOGUE_H
#define GPUSEARCH_CONV_EPILOGUE_H

#if VEC_TILE
// Per 16-lane vector of the pixel tile, how its lanes map to output addresses (col_y): VCUT_WHOLE when they are one
// run of one image, c in 1..15 when lanes [0, c) are one run and [c, 16) another (the next image, or past the end),
// VCUT_LANES when neither (an image smaller than 16 pixels), VCUT_NONE when the vector lies past the end.
// Small late-layer maps (14×14, 7×7) make a 64-pixel tile cross images: without the two-run case every vector on a
// boundary went lane by lane, which cost several times the tile's FMAs.
#define VCUT_WHOLE 16
#define VCUT_LANES 0
#define VCUT_NONE (-1)

inline int vector_cut(LOCAL_PTR const idx_t* col_y) {
    const idx_t y0 = col_y[0];
    if (y0 < 0) return VCUT_NONE;
    int c = 1;
    while (c < 16 && col_y[c] == y0 + c) c++;
    if (c == 16) return VCUT_WHOLE;
    const idx_t yc = col_y[c];
    for (int l = c + 1; l < 16; l++)
        if (yc < 0 ? col_y[l] >= 0 : col_y[l] != yc + (l - c)) return VCUT_LANES;
    return c;
}

// Lanes [lo, hi) of the 16 at t to p[lo .. hi), and back: OpenCL C has no partial-vector access, so chunks of 8, 4,
// 2 and 1 lanes, whose sizes the vector's cut fixes for every row of the tile (predictable branches).
inline void store_lanes(const float* t, __global float* p, int lo, const int hi) {
    if (hi - lo >= 8) { *(volatile __global float8u*)(p + lo) = *(const float8u*)(t + lo); lo += 8; }
    if (hi - lo >= 4) { *(volatile __global float4u*)(p + lo) = *(const float4u*)(t + lo); lo += 4; }
    if (hi - lo >= 2) { *(volatile __global float2u*)(p + lo) = *(const float2u*)(t + lo); lo += 2; }
    if (hi - lo >= 1) p[lo] = t[lo];
}

inline void load_lanes(float* t, const __global float* p, int lo, const int hi) {
    if (hi - lo >= 8) { *(float8u*)(t + lo) = *(const volatile __global float8u*)(p + lo); lo += 8; }
    if (hi - lo >= 4) { *(float4u*)(t + lo) = *(const volatile __global float4u*)(p + lo); lo += 4; }
    if (hi - lo >= 2) { *(float2u*)(t + lo) = *(const volatile __global float2u*)(p + lo); lo += 2; }
    if (hi - lo >= 1) t[lo] = p[lo];
}

// Touches the lines a sub-block's epilogue will read (residual) and write (outputs) before its K loop, so the misses
// overlap the multiply-accumulates: the rows are short runs (WPT_N pixels) at a channel stride, which hardware
// prefetchers do not follow. Without it ResNet-50's 1×1 expand convs waited on the residual about as long as their
// FMAs took, and stores into 14×14 maps (rows not 64-byte aligned: no streaming stores) each waited for its line.
// Lines a streaming store will overwrite whole (64-byte aligned, NT_STORE) are not fetched.
inline void prefetch_epilogue(const int ms, const int Mg, const int g, const int OHW, LOCAL_PTR const int* vcut,
                              LOCAL_PTR const idx_t* col_y, const __global XT* restrict res, const idx_t r_off,
                              __global XT* restrict y, const idx_t y_off) {
    for (int i = 0; i < WPT_M; i++) {
        const int m = ms + i;
        if (m >= Mg) break;
        const idx_t plane = (idx_t)(g * Mg + m) * OHW;
        for (int v = 0; v < NV; v++) {
            const int cut = vcut[v];
            if (cut == VCUT_NONE) continue;
            // The vector's first and last lanes: its one or two lines when whole, the ends of its runs when cut.
            const idx_t o0 = col_y[16 * v] + plane, l1 = col_y[16 * v + 15];
            const idx_t o1 = l1 >= 0 ? l1 + plane : o0;
#if HAS_RES
            __builtin_prefetch((const __global void*)(res + r_off + (o0 - y_off)), 0, 3);
            __builtin_prefetch((const __global void*)(res + r_off + (o1 - y_off)), 0, 3);
#endif
#if NT_STORE && !X_F16
            if (cut == VCUT_WHOLE && (((ulong)(y + o0)) & 63) == 0) continue;
#endif
            __builtin_prefetch((const __global void*)(y + o0), 1, 3);
            __builtin_prefetch((const __global void*)(y + o1), 1, 3);
        }
    }
}

// One sub-block's rows in float16 vectors (apply_act16), streamed past the caches when the output is large
// (NT_STORE, Ops/NonTemporalStores.cs); vcut[v] is vector_cut of the tile's v-th vector.
inline void store_tile(ACC_DECL(acc), const int ms, const int Mg, const int g, const int OHW, LOCAL_PTR const int* vcut,
                       LOCAL_PTR const idx_t* col_y, const __global float* restrict bias, const idx_t b_off,
                       const __global XT* restrict res, const idx_t r_off, __global XT* restrict y, const idx_t y_off,
                       const float act_a, const float act_b) {
    for (int i = 0; i < WPT_M; i++) {
        const int m = ms + i;
        if (m >= Mg) continue;
        const int co = g * Mg + m;
        const idx_t plane = (idx_t)co * OHW;
        const float bv = BIAS_AT(bias, b_off + co);
        for (int v = 0; v < NV; v++) {
            const int cut = vcut[v];
            if (cut == VCUT_NONE) continue;
            const idx_t yv = col_y[16 * v];
            float16 a = acc[i][v] + bv;
            if (cut == VCUT_WHOLE) {
                const idx_t o0 = yv + plane;
#if HAS_RES
                a += LDX16_AT(res + r_off + (o0 - y_off));
#endif
                a = apply_act16(a, act_a, act_b);
#if X_F16
                vstore_half16(a, 0, y + o0);
#else
                STREAM16(a, y + o0, VSTORE16_AT);
#endif
                continue;
            }
#if !X_F16
            if (cut != VCUT_LANES) {
                // Two runs: lanes [0, cut) from yv, lanes [cut, 16) from yb (each base is where lane 0 would be).
                const idx_t yb = col_y[16 * v + cut];
#if HAS_RES
                float16 r = (float16)(0.0f);
                load_lanes((float*)&r, res + r_off + (yv - y_off) + plane, 0, cut);
                if (yb >= 0) load_lanes((float*)&r, res + r_off + (yb - cut - y_off) + plane, cut, 16);
                a += r;
#endif
                a = apply_act16(a, act_a, act_b);
                store_lanes((const float*)&a, y + yv + plane, 0, cut);
                if (yb >= 0) store_lanes((const float*)&a, y + (yb - cut) + plane, cut, 16);
                continue;
            }
#endif
            float t[16];
            *(float16u*)t = a;
            for (int l = 0; l < 16; l++) {
                const idx_t yo = col_y[16 * v + l];
#if HAS_RES
                if (yo >= 0) t[l] += LDX(res, r_off + (yo - y_off) + plane);
#endif
            }
            a = apply_act16(*(float16u*)t, act_a, act_b);
            *(float16u*)t = a;
            for (int l = 0; l < 16; l++) {
                const idx_t yo = col_y[16 * v + l];
                if (yo >= 0) STX(y, yo + plane, t[l]);
            }
        }
    }
}
#else
// Work-item (tx, ty) holds rows ty + i·THREADS_M and columns tx + j·THREADS_N of the sub-block.
inline void store_tile(ACC_DECL(acc), const int ms, const int tx, const int ty, const int Mg, const int g, const int OHW,
                       const int contiguous, LOCAL_PTR const idx_t* col_y, const __global float* restrict bias,
                       const idx_t b_off, const __global XT* restrict res, const idx_t r_off, __global XT* restrict y,
                       const idx_t y_off, const float act_a, const float act_b) {
    for (int i = 0; i < WPT_M; i++) {
        const int m = ms + ty + i * THREADS_M;
        if (m >= Mg) continue;
        const int co = g * Mg + m;
        const float bv = BIAS_AT(bias, b_off + co);
        if (contiguous) {
            // Output columns of a tile inside one image are contiguous: a run (vectorises).
            const idx_t o0 = col_y[0] + (idx_t)co * OHW;
            for (int j = 0; j < WPT_N; j++) {
                float v = acc[i][j] + bv;
#if HAS_RES
                v += LDX(res, r_off + (o0 - y_off) + j);
#endif
                STX(y, o0 + j, apply_act(v, act_a, act_b));
            }
            continue;
        }
        for (int j = 0; j < WPT_N; j++) {
            const int nn = tx + j * THREADS_N;
            const idx_t yo = col_y[nn];
            if (yo < 0) continue;
            const idx_t o = yo + (idx_t)co * OHW;
            float v = acc[i][j] + bv;
#if HAS_RES
            v += LDX(res, r_off + (o - y_off));
#endif
            STX(y, o, apply_act(v, act_a, act_b));
        }
    }
}
#endif

#endif
