// softmax.cl — Softmax (and LogSoftmax) over one axis of an fp32 tensor viewed as [outer, axis, inner]:
// one work-item per (outer, inner) pair runs max, sum of exp and the normalisation over the axis.
// Subtracting the max keeps exp finite, as every framework does.
// Launch: global (inner, outer).
#include "common.h"

#ifndef LOG_SOFTMAX
#define LOG_SOFTMAX 0
#endif

__kernel void softmax_axis(const int outer, const int axis, const int inner,
                           const __global float* restrict x, const idx_t x_off,
                           __global float* restrict y, const idx_t y_off) {
    const int in = (int)get_global_id(0), out = (int)get_global_id(1);
    if (in >= inner || out >= outer) return;
    const idx_t base = (idx_t)out * axis * inner + in;
    const __global float* xp = x + x_off + base;
    __global float* yp = y + y_off + base;
    float m = -INFINITY;
    for (int a = 0; a < axis; a++) m = fmax(m, xp[(idx_t)a * inner]);
    float s = 0.0f;
#if LOG_SOFTMAX
    for (int a = 0; a < axis; a++) s += exp(xp[(idx_t)a * inner] - m);
    const float ls = log(s);
    for (int a = 0; a < axis; a++) yp[(idx_t)a * inner] = xp[(idx_t)a * inner] - m - ls;
#else
    // Each exp once: kept in y, then scaled (the same values as computing it again, bit for bit).
    for (int a = 0; a < axis; a++) {
        const float e = exp(xp[(idx_t)a * inner] - m);
        yp[(idx_t)a * inner] = e;
        s += e;
    }
    const float r = 1.0f / s;
    for (int a = 0; a < axis; a++) yp[(idx_t)a * inner] *= r;
#endif
}
