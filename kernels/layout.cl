// layout.cl — data movement on fp32 tensors of up to 6 dimensions:
//  * strided_copy: y[Σ i_d·ys_d] = x[Σ i_d·xs_d] over dims d0..d5. Transpose (permuted input strides),
//    Slice (strides × steps, start folded into the offset; steps may be negative), Concat (each input
//    copied into its slice of the output's strides) and Expand/broadcast (stride 0) are all this kernel.
//  * pad: constant / edge / reflect padding, one work-item per output element.
// Launch: global (number of output elements).
#include "common.h"

// 0 constant, 1 edge, 2 reflect (values of PadMode).
#ifndef PAD_MODE
#define PAD_MODE 0
#endif

__kernel void strided_copy(const idx_t n,
                           const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                           const idx_t xs0, const idx_t xs1, const idx_t xs2, const idx_t xs3, const idx_t xs4, const idx_t xs5,
                           const idx_t ys0, const idx_t ys1, const idx_t ys2, const idx_t ys3, const idx_t ys4, const idx_t ys5,
                           const __global float* restrict x, const idx_t x_off,
                           __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= n) return;
    UNRAVEL6(i, d1, d2, d3, d4, d5);
    (void)d0;
    y[y_off + i0 * ys0 + i1 * ys1 + i2 * ys2 + i3 * ys3 + i4 * ys4 + i5 * ys5] =
        x[x_off + i0 * xs0 + i1 * xs1 + i2 * xs2 + i3 * xs3 + i4 * xs4 + i5 * xs5];
}

// Maps an output coordinate to an input coordinate for edge/reflect modes; -1 for constant-mode pads.
inline int pad_source(int o, int begin, int size) {
    int i = o - begin;
#if PAD_MODE == 0
    return (i < 0 || i >= size) ? -1 : i;
#elif PAD_MODE == 1
    return clamp(i, 0, size - 1);
#else
    if (size == 1) return 0;
    // Reflect without repeating the edge: period 2·(size-1).
    const int period = 2 * (size - 1);
    i = i % period;
    if (i < 0) i += period;
    return i < size ? i : period - i;
#endif
}

// Output dims o0..o5 (padded), input dims s0..s5, leading pads p0..p5 (may be negative: a crop).
__kernel void pad(const idx_t n,
                  const int o0, const int o1, const int o2, const int o3, const int o4, const int o5,
                  const int s0, const int s1, const int s2, const int s3, const int s4, const int s5,
                  const int p0, const int p1, const int p2, const int p3, const int p4, const int p5,
                  const float value,
                  const __global float* restrict x, const idx_t x_off,
                  __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= n) return;
    idx_t r = i;
    const int c5 = pad_source((int)(r % o5), p5, s5); r /= o5;
    const int c4 = pad_source((int)(r % o4), p4, s4); r /= o4;
    const int c3 = pad_source((int)(r % o3), p3, s3); r /= o3;
    const int c2 = pad_source((int)(r % o2), p2, s2); r /= o2;
    const int c1 = pad_source((int)(r % o1), p1, s1); r /= o1;
    const int c0 = pad_source((int)r, p0, s0);
    (void)o0;
    if ((c0 | c1 | c2 | c3 | c4 | c5) < 0) { y[y_off + i] = value; return; }
    const idx_t src = ((((((idx_t)c0 * s1 + c1) * s2 + c2) * s3 + c3) * s4 + c4) * s5 + c5);
    y[y_off + i] = x[x_off + src];
}

// The common collapsed case of strided_copy (Concat along channels, contiguous slices): whole rows,
// y[r·ys + c] = x[r·xs + c]. Launch: global rows·cols in one dimension (CUDA caps a grid's y at 65,535).
__kernel void copy_rows(const int rows, const int cols,
                        const __global float* restrict x, const idx_t x_off, const idx_t xs,
                        __global float* restrict y, const idx_t y_off, const idx_t ys) {
    const idx_t i = GID0;
    if (i >= (idx_t)rows * cols) return;
    const idx_t r = i / cols, c = i % cols;
    y[y_off + r * ys + c] = x[x_off + r * xs + c];
}

// strided_copy for CPU devices: one work-item per run of the innermost dim (rows = n / d5), so the index unravel and
// its 64-bit divisions happen once per run instead of once per element (they cost more than the copy on a CPU).
// Launch: global (rows).
__kernel void strided_copy_runs(const idx_t rows,
                                const int d1, const int d2, const int d3, const int d4, const int d5,
                                const idx_t xs0, const idx_t xs1, const idx_t xs2, const idx_t xs3, const idx_t xs4, const idx_t xs5,
                                const idx_t ys0, const idx_t ys1, const idx_t ys2, const idx_t ys3, const idx_t ys4, const idx_t ys5,
                                const __global float* restrict x, const idx_t x_off,
                                __global float* restrict y, const idx_t y_off) {
    const idx_t r = GID0;
    if (r >= rows) return;
    UNRAVEL_RUN5(r, d1, d2, d3, d4);
    const __global float* xp = x + x_off + c0 * xs0 + c1 * xs1 + c2 * xs2 + c3 * xs3 + c4 * xs4;
    __global float* yp = y + y_off + c0 * ys0 + c1 * ys1 + c2 * ys2 + c3 * ys3 + c4 * ys4;
    if (xs5 == 1 && ys5 == 1)
        for (int j = 0; j < d5; j++) yp[j] = xp[j];
    else
        for (int j = 0; j < d5; j++) yp[(idx_t)j * ys5] = xp[(idx_t)j * xs5];
}
