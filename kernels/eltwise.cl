// eltwise.cl — axpby and fp32<->fp16 casts. Unary and binary elementwise ops live in broadcast.cl (one family).
// Every output pointer is followed by an element offset so callers can write into a slice of a buffer
// (and the backend-ops tests can surround outputs with guard regions).
#include "common.h"

// y = alpha * x + beta * y
__kernel void axpby_f32(const idx_t n, const float alpha, const __global float* restrict x, const idx_t x_off,
                        const float beta, __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = alpha * x[x_off + i] + beta * y[y_off + i];
}

// Round-to-nearest-even fp32 -> fp16 storage, the rounding numpy and torch use.
__kernel void f32_to_f16(const idx_t n, const __global float* restrict x, const idx_t x_off,
                         __global half* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) vstore_half_rte(x[x_off + i], y_off + i, y);
}

__kernel void f16_to_f32(const idx_t n, const __global half* restrict x, const idx_t x_off,
                         __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = vload_half(x_off + i, x);
}
