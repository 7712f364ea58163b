// prelude_coverage.cl — test-only kernel that touches every name kernels/cuda_prelude.h maps, so
// the clang CUDA-dialect check covers the whole prelude even before real kernels exist.
// It is plain OpenCL C 1.2 as well; it is not embedded in the library.
#include "common.h"

CONST_TABLE float kTable[4] = { 0.5f, 1.0f, 2.0f, 4.0f };
CONST_TABLE float kLimits[4] = { FLT_MAX, -FLT_MAX, INFINITY, FLT_EPSILON };

// No `inline`: under CUDA the backend's -default-device makes this a device function.
float square(float x) { return x * x; }
inline uint mix(uint x) { return x * 2654435761u; }

__kernel KERNEL_BOUNDS(256) void coverage(__global const float* restrict in, __global float* out,
                                          __global int* counters, __global uint* ucounters,
                                          __global half* halves, __global const uchar* bytes,
                                          __global const ushort* shorts, __global const ulong* longs,
                                          __constant float* params, const int n, const long m,
                                          const uint u, const float s)
{
    __local float tile[256];
    __local int lcount;
    const idx_t i = GID0;
    const int l = LID0;
    if (l == 0) lcount = 0;
    tile[l] = i < n ? in[i] : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    mem_fence(CLK_GLOBAL_MEM_FENCE);
    atomic_add(&lcount, 1);
    atomic_sub(&counters[0], 1);
    atomic_inc(&counters[1]);
    atomic_dec(&counters[2]);
    atomic_max(&counters[3], l);
    atomic_min(&counters[4], l);
    atomic_cmpxchg(&counters[5], 0, l);
    atomic_xchg(&counters[6], l);
    atomic_and(&ucounters[0], 1u);
    atomic_or(&ucounters[1], 2u);
    atomic_xor(&ucounters[2], 3u);
    if (i >= n) return;
    float v = tile[l] * kTable[l & 3] * params[0] + s + kLimits[l & 3];
    v += native_exp(v) + native_log(v) + native_sqrt(v) + native_recip(v) + native_divide(v, 3.0f);
    v += rsqrt(v) + mad(v, 2.0f, 1.0f) + clamp(v, 0.0f, 1.0f) + (float)clamp(l, 0, 7);
    v += sqrt(v) + exp(v) + log(v) + fabs(v) + fmin(v, 1.0f) + fmax(v, 0.0f) + floor(v) + ceil(v);
    v += pow(v, 2.0f) + tanh(v) + erf(v) + square(v) + (float)min(l, 3) + (float)max(l, 1) + min(v, 2.0f) + max(v, -2.0f);
    v += as_float(as_int(v)) + as_float(as_uint(v)) + (float)convert_int_rte(v);
    v += bytes[i] + shorts[i] + (float)longs[i] + (float)mix(u) + (float)(m & 1);
    v = v > FLT_MAX ? MAXFLOAT : v < -INFINITY ? FLT_MIN : v + FLT_EPSILON;
    if (isnan(v) || isinf(v) || !isfinite(v) || v == NAN) v = 0.0f;
    int big = INT_MAX + (int)(UINT_MAX & 0) + (INT_MIN & 0) + (int)(LONG_MAX & 0);
    out[i] = v + (float)(big & 1) + (float)get_group_id(0) + (float)get_local_size(0)
           + (float)get_num_groups(0) + (float)get_global_size(0) + (float)get_local_id(1) + (float)GID1 + (float)LID1;
    store_f16(halves, i, load_f16(halves, i) + v);
    vstore_half_rte(v, i, halves);
    vstore_half(vload_half(i, halves), i, halves);
}
