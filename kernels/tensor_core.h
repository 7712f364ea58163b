// tensor_core.h — CUDA-only helpers for the opt-in tensor-core paths (TC=1, see src/GpuSearch/Models/TUNING.md):
// fp16 packing, the warp-level mma.sync m16n8k16 (fp16 × fp16 → fp32) and a butterfly shuffle, all as inline
// PTX because NVRTC gets no cuda_fp16.h/mma.h include path and ILGPU-style intrinsics do not exist for it.
// A kernel file includes this after common.h; it is empty unless CUDA and TC are both defined.
//
// Fragment layout of mma.m16n8k16.row.col (PTX ISA, "Matrix fragments for mma.m16n8k16"), per lane with
// g = lane / 4 and c = lane % 4; a .b32 register holds two fp16, the lower-indexed one in its low half:
//   A (16×16, row-major):  a0 = A[g][2c, 2c+1]     a1 = A[g+8][2c, 2c+1]
//                          a2 = A[g][2c+8, 2c+9]   a3 = A[g+8][2c+8, 2c+9]
//   B (16×8, k × n):       b0 = B[2c, 2c+1][g]     b1 = B[2c+8, 2c+9][g]
//   C/D (16×8, fp32):      d0 = C[g][2c]  d1 = C[g][2c+1]  d2 = C[g+8][2c]  d3 = C[g+8][2c+1]
#ifndef GPUSEARCH_TENSOR_CORE_H
#define GPUSEARCH_TENSOR_CORE_H

#ifndef TC
#define TC 0
#endif

#if TC && !defined(CUDA)
#error "TC=1 (tensor cores) is a CUDA-only path; the host never sets it for OpenCL"
#endif

#if TC
// mma.sync.m16n8k16 with fp16 inputs needs sm_80. __CUDA_ARCH__ is only defined in device compilation
// (NVRTC always; clang in its device pass), which is the only place these bodies are compiled.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#error "TC=1 needs compute capability 8.0 or newer (mma.sync.m16n8k16 fp16)"
#endif

#define TC_WARP 32

// Round to nearest even fp16 bits.
inline uint tc_f16_bits(float f)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return (uint)h;
}

// Two floats as one .b32 register of fp16: lo in bits 0-15, hi in bits 16-31.
inline uint tc_pack(float lo, float hi) { return tc_f16_bits(lo) | (tc_f16_bits(hi) << 16); }

// Two stored fp16 (bit patterns) as one register.
inline uint tc_pack_bits(ushort lo, ushort hi) { return (uint)lo | ((uint)hi << 16); }

// fp16 bits back to float (exact).
inline float tc_f16_to_float(uint h)
{
    float f;
    const unsigned short s = (unsigned short)h;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(s));
    return f;
}

// d += A·B for one 16×16 A fragment and one 16×8 B fragment (warp-wide; every lane of the warp must call it).
inline void tc_mma(float d[4], const uint a[4], const uint b[2])
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Value of lane (lane ^ mask) of the full warp.
inline float tc_shfl_xor(float v, int mask)
{
    uint r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=r"(r) : "r"(__float_as_uint(v)), "r"(mask));
    return __uint_as_float(r);
}

inline int tc_lane(void) { return (int)(threadIdx.x & 31u); }
#endif

#endif
