// nvrtc_env.h — test-only stand-in for what NVRTC provides before our source, so clang-14 can
// syntax-check the CUDA expansion of every kernel without a CUDA toolkit (-nocudainc).
// NVRTC pre-includes CUDA's execution-space macros, size_t, the math/device functions and the
// atomics; clang ships equivalents of the math and device functions, so this file only adds the
// macros, size_t and the atomic declarations, and emulates NVRTC's -default-device option.
// It must never define what the prelude is responsible for (FLT_MAX, INFINITY, INT_MAX, ...):
// the check exists to prove the prelude supplies those.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define CUDA_VERSION 12000

typedef __SIZE_TYPE__ size_t;

// clang's CUDA math header refers to these; they are removed again below so kernels cannot
// silently depend on them (NVRTC does not define them).
#define INT_MAX __INT_MAX__
#define INT_MIN (-__INT_MAX__ - 1)
#define HUGE_VAL __builtin_huge_val()
#define HUGE_VALF __builtin_huge_valf()
#include <__clang_cuda_libdevice_declares.h>
#include <__clang_cuda_device_functions.h>
#include <__clang_cuda_math.h>
#undef INT_MAX
#undef INT_MIN
#undef HUGE_VAL
#undef HUGE_VALF

// CUDA's atomics (declarations suffice for a syntax check).
__device__ int atomicAdd(int*, int);
__device__ unsigned atomicAdd(unsigned*, unsigned);
__device__ unsigned long long atomicAdd(unsigned long long*, unsigned long long);
__device__ float atomicAdd(float*, float);
__device__ int atomicSub(int*, int);
__device__ unsigned atomicSub(unsigned*, unsigned);
__device__ int atomicMax(int*, int);
__device__ unsigned atomicMax(unsigned*, unsigned);
__device__ long long atomicMax(long long*, long long);
__device__ unsigned long long atomicMax(unsigned long long*, unsigned long long);
__device__ int atomicMin(int*, int);
__device__ unsigned atomicMin(unsigned*, unsigned);
__device__ long long atomicMin(long long*, long long);
__device__ unsigned long long atomicMin(unsigned long long*, unsigned long long);
__device__ int atomicCAS(int*, int, int);
__device__ unsigned atomicCAS(unsigned*, unsigned, unsigned);
__device__ unsigned long long atomicCAS(unsigned long long*, unsigned long long, unsigned long long);
__device__ int atomicExch(int*, int);
__device__ unsigned atomicExch(unsigned*, unsigned);
__device__ unsigned long long atomicExch(unsigned long long*, unsigned long long);
__device__ float atomicExch(float*, float);
__device__ int atomicAnd(int*, int);
__device__ unsigned atomicAnd(unsigned*, unsigned);
__device__ int atomicOr(int*, int);
__device__ unsigned atomicOr(unsigned*, unsigned);
__device__ int atomicXor(int*, int);
__device__ unsigned atomicXor(unsigned*, unsigned);

// The CUDA backend compiles with NVRTC's -default-device: functions without an execution space
// are device functions. clang's closest equivalent makes them host+device, which for a
// device-only check behaves the same.
#pragma clang force_cuda_host_device begin
