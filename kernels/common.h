// common.h — shared by every kernel file: dialect selection, index helpers and tunable defaults.
// Kernels are OpenCL C 1.2; under NVRTC the CUDA backend defines CUDA and the prelude maps the dialect.
#ifndef GPUSEARCH_COMMON_H
#define GPUSEARCH_COMMON_H

#ifdef CUDA
#include "cuda_prelude.h"
#define LOCAL_PTR
#define KERNEL_BOUNDS(threads) __launch_bounds__(threads)
// File-scope constant tables: __constant maps to nothing under CUDA (it also qualifies kernel
// parameters), so a plain table would be a host variable that device code cannot read.
#define CONST_TABLE __constant__ const
#else
#define LOCAL_PTR __local
#define KERNEL_BOUNDS(threads)
#define CONST_TABLE __constant
#endif

// Index type for buffers that may exceed 4 GiB elements: always 64-bit.
typedef long idx_t;

// Global linear id in dimension 0 as a 64-bit index.
#define GID0 ((idx_t)get_global_id(0))
#define GID1 ((idx_t)get_global_id(1))
#define LID0 ((int)get_local_id(0))
#define LID1 ((int)get_local_id(1))

// Storage types: DTYPE 0 = fp32, 1 = fp16 (vload_half/vstore_half), 2 = int8 (signed).
#define DTYPE_F32 0
#define DTYPE_F16 1
#define DTYPE_I8 2

// Declares ow, oh and PLANE (n·C + c) of flat index i over [planes, OH, OW], ow fastest. For the one-dimensional
// launches that keep per-pixel kernels clear of CUDA's 65,535-group cap on grid dimensions 1 and 2.
#define UNRAVEL_PLANE_HW(i, OH, OW, PLANE)            \
    const int ow = (int)((i) % (OW));                 \
    const int oh = (int)(((i) / (OW)) % (OH));        \
    const idx_t PLANE = (i) / (OW) / (OH);

// Declares i0..i5, the coordinates of linear index i over dims (d0, d1, d2, d3, d4, d5), d5 innermost; d0 is
// implied. A macro rather than a function so kernels keep the coordinates as plain registers.
#define UNRAVEL6(i, d1, d2, d3, d4, d5)              \
    idx_t i0, i1, i2, i3, i4, i5;                    \
    {                                                \
        idx_t r_ = (i);                              \
        i5 = r_ % (d5); r_ /= (d5);                  \
        i4 = r_ % (d4); r_ /= (d4);                  \
        i3 = r_ % (d3); r_ /= (d3);                  \
        i2 = r_ % (d2); r_ /= (d2);                  \
        i1 = r_ % (d1); r_ /= (d1);                  \
        i0 = r_;                                     \
    }

// Declares c0..c4, the coordinates of run r over dims (d0, d1, d2, d3, d4), d4 innermost and d0 implied: the
// CPU kernels that walk one run of the innermost dim per work-item (strided_copy_runs, binary_bcast_runs).
#define UNRAVEL_RUN5(r, d1, d2, d3, d4)              \
    idx_t c0, c1, c2, c3, c4;                        \
    {                                                \
        idx_t q_ = (r);                              \
        c4 = q_ % (d4); q_ /= (d4);                  \
        c3 = q_ % (d3); q_ /= (d3);                  \
        c2 = q_ % (d2); q_ /= (d2);                  \
        c1 = q_ % (d1);                              \
        c0 = q_ / (d1);                              \
    }

inline float load_f16(const __global half* p, idx_t i) { return vload_half(i, p); }
inline void store_f16(__global half* p, idx_t i, float v) { vstore_half(v, i, p); }

#endif
