// reduce_axes.cl — ReduceMean / ReduceSum / ReduceMax / ReduceL2 / ReduceSumSquare over any set of axes
// of an fp32 tensor. The host splits the (collapsed) input dims into kept dims k0..k3 and reduced
// dims r0..r3, each with its input element stride; one work-item per output element loops over the
// reduced elements. Launch: global (number of outputs).
#include "common.h"

// 0 sum, 1 mean, 2 max, 3 min, 4 L2 (sqrt of sum of squares), 5 sum of squares (values of AxisReduceOp).
#ifndef RED_OP
#define RED_OP 1
#endif

__kernel void reduce_axes(const idx_t n_out, const idx_t n_red,
                          const int k0, const int k1, const int k2, const int k3,
                          const idx_t ks0, const idx_t ks1, const idx_t ks2, const idx_t ks3,
                          const int r0, const int r1, const int r2, const int r3,
                          const idx_t rs0, const idx_t rs1, const idx_t rs2, const idx_t rs3,
                          const __global float* restrict x, const idx_t x_off,
                          __global float* restrict y, const idx_t y_off) {
    const idx_t o = GID0;
    if (o >= n_out) return;
    idx_t q = o;
    idx_t base = x_off;
    base += (q % k3) * ks3; q /= k3;
    base += (q % k2) * ks2; q /= k2;
    base += (q % k1) * ks1; q /= k1;
    base += q * ks0;
    (void)k0;
#if RED_OP == 2
    float acc = -INFINITY;
#elif RED_OP == 3
    float acc = INFINITY;
#else
    float acc = 0.0f;
#endif
    // Odometer over the reduced dims: no divisions in the loop.
    int j0 = 0, j1 = 0, j2 = 0, j3 = 0;
    for (idx_t t = 0; t < n_red; t++) {
        const float v = x[base + j0 * rs0 + j1 * rs1 + j2 * rs2 + j3 * rs3];
#if RED_OP == 2
        acc = (v > acc || v != v) ? v : acc;
#elif RED_OP == 3
        acc = (v < acc || v != v) ? v : acc;
#elif RED_OP >= 4
        acc = mad(v, v, acc);
#else
        acc += v;
#endif
        if (++j3 == r3) { j3 = 0; if (++j2 == r2) { j2 = 0; if (++j1 == r1) { j1 = 0; ++j0; } } }
    }
    (void)r0;
#if RED_OP == 1
    acc /= (float)n_red;
#elif RED_OP == 4
    acc = sqrt(acc);
#endif
    y[y_off + o] = acc;
}
