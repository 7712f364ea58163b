// reduce.cl — the reduction kernel family, one op-code table (RED_OP = AxisReduceOp: 0 sum, 1 mean, 2 max,
// 3 min, 4 L2 = sqrt of the sum of squares, 5 sum of squares) for two index spaces:
//   reduce_axes  any set of axes of a tensor (ReduceMean/Sum/Max/Min/L2/SumSquare), one work-item per output;
//                the host splits the (collapsed) input dims into kept dims k0..k3 and reduced dims r0..r3,
//                each with its input element stride. Launch: global (number of outputs).
//   reduce_rows  each row of a row-major [rows, cols] matrix, one work-group per row; the tree order is fixed
//                by the work-group size, so a result is bitwise repeatable on a device.
#include "common.h"

#ifndef RED_OP
#define RED_OP 1
#endif
#if RED_OP < 0 || RED_OP > 5
#error "unknown RED_OP"
#endif

// RED_INIT: identity. RED_ADD(acc, v): fold one input element. RED_JOIN(a, b): join two partial results.
// Max and Min propagate NaN, as numpy and ONNX do. Arguments must be plain variables (used twice).
#if RED_OP == 2
#define RED_INIT (-INFINITY)
#define RED_JOIN(a, b) (((b) > (a) || (b) != (b)) ? (b) : (a))
#define RED_ADD(acc, v) RED_JOIN(acc, v)
#elif RED_OP == 3
#define RED_INIT INFINITY
#define RED_JOIN(a, b) (((b) < (a) || (b) != (b)) ? (b) : (a))
#define RED_ADD(acc, v) RED_JOIN(acc, v)
#elif RED_OP >= 4
#define RED_INIT 0.0f
#define RED_JOIN(a, b) ((a) + (b))
#define RED_ADD(acc, v) mad((v), (v), (acc))
#else
#define RED_INIT 0.0f
#define RED_JOIN(a, b) ((a) + (b))
#define RED_ADD(acc, v) ((acc) + (v))
#endif

// The result from the accumulated value of count elements.
inline float red_finish(float acc, idx_t count) {
#if RED_OP == 1
    return acc / (float)count;
#elif RED_OP == 4
    (void)count;
    return sqrt(acc);
#else
    (void)count;
    return acc;
#endif
}

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
    float acc = RED_INIT;
    // Odometer over the reduced dims: no divisions in the loop.
    int j0 = 0, j1 = 0, j2 = 0, j3 = 0;
    for (idx_t t = 0; t < n_red; t++) {
        const float v = x[base + j0 * rs0 + j1 * rs1 + j2 * rs2 + j3 * rs3];
        acc = RED_ADD(acc, v);
        if (++j3 == r3) { j3 = 0; if (++j2 == r2) { j2 = 0; if (++j1 == r1) { j1 = 0; ++j0; } } }
    }
    (void)r0;
    y[y_off + o] = red_finish(acc, n_red);
}

// Tunable: work-group size of reduce_rows (power of two). Must equal the launch's local size.
#ifndef REDUCE_WG
#define REDUCE_WG 256
#endif

__kernel void reduce_rows(const int rows, const int cols,
                          const __global float* restrict x, const idx_t x_off,
                          __global float* restrict y, const idx_t y_off) {
    __local float partial[REDUCE_WG];
    const int row = (int)get_group_id(0);
    const int lid = LID0;
    if (row >= rows) return; // whole group leaves together: row is uniform per group
    const __global float* p = x + x_off + (idx_t)row * cols;
    float acc = RED_INIT;
    for (int c = lid; c < cols; c += REDUCE_WG) {
        const float v = p[c];
        acc = RED_ADD(acc, v);
    }
    partial[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = REDUCE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            const float a = partial[lid], b = partial[lid + s];
            partial[lid] = RED_JOIN(a, b);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[y_off + row] = red_finish(partial[0], cols);
}
