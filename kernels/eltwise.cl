// eltwise.cl — elementwise kernels: unary ops, binary ops on equal shapes, axpby, fp32<->fp16 casts.
// Every output pointer is followed by an element offset so callers can write into a slice of a buffer
// (and the backend-ops tests can surround outputs with guard regions).
#include "common.h"

// Tunable: which unary op unary_f32 applies. 0 copy, 1 relu, 2 sigmoid, 3 tanh, 4 exp, 5 sqrt, 6 abs, 7 neg.
#ifndef UNARY_OP
#define UNARY_OP 0
#endif
// Tunable: which binary op binary_f32 applies. 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min.
#ifndef BINARY_OP
#define BINARY_OP 0
#endif

inline float apply_unary(float x) {
#if UNARY_OP == 0
    return x;
#elif UNARY_OP == 1
    return fmax(x, 0.0f);
#elif UNARY_OP == 2
    return 1.0f / (1.0f + exp(-x));
#elif UNARY_OP == 3
    return tanh(x);
#elif UNARY_OP == 4
    return exp(x);
#elif UNARY_OP == 5
    return sqrt(x);
#elif UNARY_OP == 6
    return fabs(x);
#elif UNARY_OP == 7
    return -x;
#else
#error "unknown UNARY_OP"
#endif
}

inline float apply_binary(float a, float b) {
#if BINARY_OP == 0
    return a + b;
#elif BINARY_OP == 1
    return a - b;
#elif BINARY_OP == 2
    return a * b;
#elif BINARY_OP == 3
    return a / b;
#elif BINARY_OP == 4
    return fmax(a, b);
#elif BINARY_OP == 5
    return fmin(a, b);
#else
#error "unknown BINARY_OP"
#endif
}

__kernel void unary_f32(const idx_t n, const __global float* restrict x, const idx_t x_off,
                        __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = apply_unary(x[x_off + i]);
}

__kernel void binary_f32(const idx_t n, const __global float* restrict a, const idx_t a_off,
                         const __global float* restrict b, const idx_t b_off,
                         __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = apply_binary(a[a_off + i], b[b_off + i]);
}

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
