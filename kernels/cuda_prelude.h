// cuda_prelude.h — maps the OpenCL C 1.2 dialect our kernels are written in onto CUDA C++ for NVRTC.
// Included by common.h only when CUDA is defined (the CUDA backend defines it). Kernels must use the
// underscored qualifiers (__kernel, __global, __local, __constant) and the helpers below, never
// OpenCL vector types or built-ins not mapped here.
// An include guard, not #pragma once: KernelSource inlines this file into one text, where
// #pragma once would sit in the main file (a warning under clang and NVRTC, and no effect).
#ifndef GPUSEARCH_CUDA_PRELUDE_H
#define GPUSEARCH_CUDA_PRELUDE_H

#define __kernel extern "C" __global__
#define __global
#define __local __shared__
#define __constant
#define __private
#define restrict __restrict__

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
// OpenCL's ulong is 64-bit everywhere; `unsigned long` is 32-bit on Windows, and CUDA's 64-bit
// atomics take unsigned long long.
typedef unsigned long long ulong;
// OpenCL's `half` is storage only in our kernels (vload_half/vstore_half); a 16-bit container suffices.
typedef unsigned short half;

__device__ inline size_t get_global_id(int d) {
    return d == 0 ? (size_t)blockIdx.x * blockDim.x + threadIdx.x
         : d == 1 ? (size_t)blockIdx.y * blockDim.y + threadIdx.y
                  : (size_t)blockIdx.z * blockDim.z + threadIdx.z;
}
__device__ inline size_t get_local_id(int d) { return d == 0 ? threadIdx.x : d == 1 ? threadIdx.y : threadIdx.z; }
__device__ inline size_t get_group_id(int d) { return d == 0 ? blockIdx.x : d == 1 ? blockIdx.y : blockIdx.z; }
__device__ inline size_t get_local_size(int d) { return d == 0 ? blockDim.x : d == 1 ? blockDim.y : blockDim.z; }
__device__ inline size_t get_num_groups(int d) { return d == 0 ? gridDim.x : d == 1 ? gridDim.y : gridDim.z; }
__device__ inline size_t get_global_size(int d) { return get_num_groups(d) * get_local_size(d); }

// OpenCL C predefines these limits; NVRTC has no <float.h>/<limits.h> without an include path.
#ifndef FLT_MAX
#define FLT_MAX 3.402823466e+38F
#endif
#ifndef FLT_MIN
#define FLT_MIN 1.175494351e-38F
#endif
#ifndef FLT_EPSILON
#define FLT_EPSILON 1.192092896e-07F
#endif
#ifndef MAXFLOAT
#define MAXFLOAT FLT_MAX
#endif
#ifndef INFINITY
#define INFINITY __builtin_huge_valf() // constant-foldable, so usable in CONST_TABLE initialisers
#endif
#ifndef NAN
#define NAN __builtin_nanf("")
#endif
#ifndef INT_MAX
#define INT_MAX 2147483647
#endif
#ifndef INT_MIN
#define INT_MIN (-2147483647 - 1)
#endif
#ifndef UINT_MAX
#define UINT_MAX 0xffffffffU
#endif
#ifndef LONG_MAX
#define LONG_MAX 0x7fffffffffffffffLL
#endif

#define CLK_LOCAL_MEM_FENCE 1
#define CLK_GLOBAL_MEM_FENCE 2
#define barrier(flags) __syncthreads()
#define mem_fence(flags) __threadfence()

// fp16 conversions through PTX so no cuda_fp16.h include path is needed under NVRTC.
__device__ inline float vload_half(size_t i, const half* p) {
    float f; unsigned short h = p[i];
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
__device__ inline void vstore_half(float f, size_t i, half* p) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    p[i] = h;
}
#define vstore_half_rte vstore_half

// Math: CUDA's float overloads cover sqrt/exp/log/fabs/fmin/fmax/floor/ceil/pow/tanh/erf;
// the OpenCL-only names are mapped here.
#define native_exp __expf
#define native_log __logf
#define native_sqrt sqrtf
#define native_recip(x) (1.0f / (x))
#define native_divide(a, b) __fdividef((a), (b))
#define rsqrt rsqrtf
#define mad(a, b, c) fmaf((a), (b), (c))
__device__ inline float clamp(float x, float lo, float hi) { return fminf(fmaxf(x, lo), hi); }
__device__ inline int clamp(int x, int lo, int hi) { return min(max(x, lo), hi); }
// OpenCL's classification built-ins, on the float's bits: CUDA's own isnan/isinf overloads and
// __isnanf-style helpers differ between host compilers, and macros here leave them untouched.
__device__ inline int gs_isnan(float x) { return (__float_as_uint(x) & 0x7fffffffu) > 0x7f800000u; }
__device__ inline int gs_isinf(float x) { return (__float_as_uint(x) & 0x7fffffffu) == 0x7f800000u; }
__device__ inline int gs_isfinite(float x) { return (__float_as_uint(x) & 0x7fffffffu) < 0x7f800000u; }
#define isnan(x) gs_isnan(x)
#define isinf(x) gs_isinf(x)
#define isfinite(x) gs_isfinite(x)
#define as_float(x) __int_as_float(x)
#define as_int(x) __float_as_int(x)
#define as_uint(x) ((uint)__float_as_int(x))
#define convert_int_rte(x) __float2int_rn(x)

// Atomics on 32-bit integers in global or local memory.
#define atomic_add(p, v) atomicAdd((p), (v))
#define atomic_sub(p, v) atomicSub((p), (v))
#define atomic_inc(p) atomicAdd((p), 1)
#define atomic_dec(p) atomicSub((p), 1)
#define atomic_max(p, v) atomicMax((p), (v))
#define atomic_min(p, v) atomicMin((p), (v))
#define atomic_cmpxchg(p, c, v) atomicCAS((p), (c), (v))
#define atomic_xchg(p, v) atomicExch((p), (v))
#define atomic_and(p, v) atomicAnd((p), (v))
#define atomic_or(p, v) atomicOr((p), (v))
#define atomic_xor(p, v) atomicXor((p), (v))

// Last, so the helpers above are not marked __device__ twice: every `inline` function a kernel
// file defines becomes a device function.
#define inline __device__ inline

#endif // GPUSEARCH_CUDA_PRELUDE_H
