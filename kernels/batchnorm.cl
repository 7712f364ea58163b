// batchnorm.cl — unfused BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) · scale + bias
// per channel of an fp32 tensor viewed as [N, C, inner]. The optimizer normally folds BN into the
// preceding conv; this is the fallback for a BN it cannot fold. Launch: global (N·C·inner).
#include "common.h"

__kernel void batchnorm(const idx_t n, const int C, const idx_t inner, const float epsilon,
                        const __global float* restrict x, const idx_t x_off,
                        const __global float* restrict scale, const idx_t s_off,
                        const __global float* restrict bias, const idx_t b_off,
                        const __global float* restrict mean, const idx_t m_off,
                        const __global float* restrict var, const idx_t v_off,
                        __global float* restrict y, const idx_t y_off) {
    const idx_t i = GID0;
    if (i >= n) return;
    const int c = (int)((i / inner) % C);
    const float s = scale[s_off + c] / sqrt(var[v_off + c] + epsilon);
    y[y_off + i] = (x[x_off + i] - mean[m_off + c]) * s + bias[b_off + c];
}
