// reduce.cl — row-wise reductions of a row-major [rows, cols] matrix, one work-group per row.
// The tree order is fixed by the work-group size, so a result is bitwise repeatable on a device.
#include "common.h"

// Tunable: work-group size (power of two). Must equal the launch's local size.
#ifndef REDUCE_WG
#define REDUCE_WG 256
#endif
// Which reduction, in reduce_axes.cl's codes (AxisReduceOp; one code table for both reduce kernels):
// 0 sum, 1 mean, 2 max, 4 L2 norm (sqrt of sum of squares), 5 sum of squares.
#ifndef REDUCE_OP
#define REDUCE_OP 0
#endif
#if REDUCE_OP == 3 || REDUCE_OP > 5
#error "unknown REDUCE_OP"
#endif

#if REDUCE_OP == 2
#define R_INIT (-INFINITY)
#define R_MAP(v) (v)
#define R_JOIN(a, b) fmax((a), (b))
#else
#define R_INIT 0.0f
#if REDUCE_OP == 4 || REDUCE_OP == 5
#define R_MAP(v) ((v) * (v))
#else
#define R_MAP(v) (v)
#endif
#define R_JOIN(a, b) ((a) + (b))
#endif

__kernel void reduce_rows(const int rows, const int cols,
                          const __global float* restrict x, const idx_t x_off,
                          __global float* restrict y, const idx_t y_off) {
    __local float partial[REDUCE_WG];
    const int row = (int)get_group_id(0);
    const int lid = LID0;
    if (row >= rows) return; // whole group leaves together: row is uniform per group
    const __global float* p = x + x_off + (idx_t)row * cols;
    float acc = R_INIT;
    for (int c = lid; c < cols; c += REDUCE_WG) acc = R_JOIN(acc, R_MAP(p[c]));
    partial[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = REDUCE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) partial[lid] = R_JOIN(partial[lid], partial[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        float r = partial[0];
#if REDUCE_OP == 4
        r = sqrt(r);
#elif REDUCE_OP == 1
        r = r / (float)cols;
#endif
        y[y_off + row] = r;
    }
}
