// layernorm.cl — LayerNormalization over the trailing axes of an fp32 tensor viewed as [rows, cols]:
// y = (x - mean) / sqrt(var + epsilon) · scale + bias, with scale/bias of length cols (bias optional).
// One work-item per row; mean then variance in two passes (no E[x²]−E[x]² cancellation).
// HAS_STATS also writes each row's mean and 1/sqrt(var + epsilon) (ONNX's optional outputs).
// Launch: global (rows).
#include "common.h"

#ifndef HAS_BIAS
#define HAS_BIAS 1
#endif
#ifndef HAS_STATS
#define HAS_STATS 0
#endif

__kernel void layernorm_rows(const int rows, const int cols, const float epsilon,
                             const __global float* restrict x, const idx_t x_off,
                             const __global float* restrict scale, const idx_t s_off,
                             const __global float* restrict bias, const idx_t b_off,
                             __global float* restrict y, const idx_t y_off,
                             __global float* restrict mean_out, const idx_t mo_off,
                             __global float* restrict inv_out, const idx_t io_off) {
    const idx_t r = GID0;
    if (r >= rows) return;
    const __global float* xp = x + x_off + r * cols;
    __global float* yp = y + y_off + r * cols;
    float mean = 0.0f;
    for (int c = 0; c < cols; c++) mean += xp[c];
    mean /= (float)cols;
    float var = 0.0f;
    for (int c = 0; c < cols; c++) { const float d = xp[c] - mean; var += d * d; }
    var /= (float)cols;
    const float inv = 1.0f / sqrt(var + epsilon);
#if HAS_STATS
    mean_out[mo_off + r] = mean;
    inv_out[io_off + r] = inv;
#endif
    for (int c = 0; c < cols; c++) {
        float v = (xp[c] - mean) * inv * scale[s_off + c];
#if HAS_BIAS
        v += bias[b_off + c];
#endif
        yp[c] = v;
    }
}
