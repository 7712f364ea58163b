// broadcast.cl — the elementwise kernel family: numpy-broadcasting binary ops (Add, Sub, Mul, Div, Pow, Max,
// Min), unary activations, axpby and the fp32<->fp16 storage casts, on fp32 tensors. The host collapses the shapes to at most 6 dimensions and passes
// the output dims plus each input's element strides (0 along a broadcast dimension) as arguments.
// Launch: global (n), local (BCAST_GROUP).
#include "common.h"
#include "activation.h"

// Which binary op: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 max, 6 min (values of BroadcastOp).
#ifndef BIN_OP
#define BIN_OP 0
#endif

inline float bin_op(float a, float b) {
#if BIN_OP == 0
    return a + b;
#elif BIN_OP == 1
    return a - b;
#elif BIN_OP == 2
    return a * b;
#elif BIN_OP == 3
    return a / b;
#elif BIN_OP == 4
    // C99/OpenCL pow: negative bases with integral exponents give the signed result, as numpy does.
    return pow(a, b);
#elif BIN_OP == 5
    return fmax(a, b);
#elif BIN_OP == 6
    return fmin(a, b);
#else
#error "unknown BIN_OP"
#endif
}

// Output index i decomposed over dims d0..d5 (d5 innermost); each operand has its own strides.
__kernel void binary_bcast(const idx_t n,
                           const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                           const idx_t a0, const idx_t a1, const idx_t a2, const idx_t a3, const idx_t a4, const idx_t a5,
                           const idx_t b0, const idx_t b1, const idx_t b2, const idx_t b3, const idx_t b4, const idx_t b5,
                           const __global float* restrict a, const idx_t a_off,
                           const __global float* restrict b, const idx_t b_off,
                           __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= n) return;
    UNRAVEL6(i, d1, d2, d3, d4, d5);
    const idx_t ia = a_off + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4 + i5 * a5;
    const idx_t ib = b_off + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4 + i5 * b5;
    y[y_off + i] = bin_op(a[ia], b[ib]);
}

// binary_bcast for CPU devices: one work-item per run of the innermost dim (rows = n / d5), so the index unravel and
// its 64-bit divisions happen once per run, not once per element (on a CPU they cost more than the op).
// Launch: global (rows).
__kernel void binary_bcast_runs(const idx_t rows,
                                const int d1, const int d2, const int d3, const int d4, const int d5,
                                const idx_t a0, const idx_t a1, const idx_t a2, const idx_t a3, const idx_t a4, const idx_t a5,
                                const idx_t b0, const idx_t b1, const idx_t b2, const idx_t b3, const idx_t b4, const idx_t b5,
                                const __global float* restrict a, const idx_t a_off,
                                const __global float* restrict b, const idx_t b_off,
                                __global float* restrict y, const idx_t y_off) {
    const idx_t r = GID0;
    if (r >= rows) return;
    UNRAVEL_RUN5(r, d1, d2, d3, d4);
    const __global float* ap = a + a_off + c0 * a0 + c1 * a1 + c2 * a2 + c3 * a3 + c4 * a4;
    const __global float* bp = b + b_off + c0 * b0 + c1 * b1 + c2 * b2 + c3 * b3 + c4 * b4;
    __global float* yp = y + y_off + r * d5;
    if (a5 == 1 && b5 == 1)
        for (int j = 0; j < d5; j++) yp[j] = bin_op(ap[j], bp[j]);
    else
        for (int j = 0; j < d5; j++) yp[j] = bin_op(ap[(idx_t)j * a5], bp[(idx_t)j * b5]);
}

// Same shapes, or b a single scalar (b_step 0): the common cases without index arithmetic.
__kernel void binary_flat(const idx_t n, const __global float* restrict a, const idx_t a_off,
                          const __global float* restrict b, const idx_t b_off, const int b_step,
                          __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = bin_op(a[a_off + i], b[b_off + i * b_step]);
}

// y = act(x) elementwise; ACT and its parameters as in activation.h.
__kernel void unary_act(const idx_t n, const __global float* restrict x, const idx_t x_off,
                        __global float* restrict y, const idx_t y_off, const float act_a, const float act_b) {
    const idx_t i = GID0;
    if (i < n) y[y_off + i] = apply_act(x[x_off + i], act_a, act_b);
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
