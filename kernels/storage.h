// storage.h — fp32 or fp16 storage of tensors with fp32 arithmetic. A kernel file includes this after
// defining nothing, or with X_F16 (activations: inputs, outputs, residuals) and W_F16 (weights) set to 1;
// half values are only ever converted with vload_half/vstore_half, never computed on.
#ifndef GPUSEARCH_STORAGE_H
#define GPUSEARCH_STORAGE_H

#ifndef X_F16
#define X_F16 0
#endif
#ifndef W_F16
#define W_F16 0
#endif

#if X_F16
#define XT half
#define LDX(p, i) vload_half((i), (p))
#define STX(p, i, v) vstore_half((v), (i), (p))
#define LDX16_AT(p) vload_half16(0, (p))
#else
#define XT float
#define LDX(p, i) ((p)[i])
#define STX(p, i, v) ((p)[i] = (v))
#define LDX16_AT(p) vload16(0, (p))
#endif

// NT_STORE (CPU kernels, outputs the host found large: Ops/NonTemporalStores.cs): STREAM16(v, p) writes 16 fp32
// outputs with a non-temporal store when p is 64-byte aligned, so lines about to be overwritten are not read first;
// FALLBACK(v, p) is the kernel's own store for the other case (and for NT_STORE 0).
#ifndef NT_STORE
#define NT_STORE 0
#endif
#if NT_STORE && !defined(CUDA)
#define STREAM16(v, p, FALLBACK)                                                                      \
    do {                                                                                              \
        if ((((ulong)(p)) & 63) == 0) __builtin_nontemporal_store((v), (__global float16*)(p));      \
        else FALLBACK((v), (p));                                                                      \
    } while (0)
#else
#define STREAM16(v, p, FALLBACK) FALLBACK((v), (p))
#endif
#ifndef CUDA
// 16, 8, 4 or 2 floats as one access at 4-byte alignment: PoCL's vstore16 is three stores (16, 16 and 32 bytes), which
// also defeats store-to-load forwarding when the vector is read back whole, and LLVM narrows some vector loads into
// many small ones; a volatile access through these types stays one vmovups.
typedef float16 __attribute__((aligned(4))) float16u;
typedef float8 __attribute__((aligned(4))) float8u;
typedef float4 __attribute__((aligned(4))) float4u;
typedef float2 __attribute__((aligned(4))) float2u;
#define VSTORE16_AT(v, p) (*(volatile __global float16u*)(p) = (v))
#else
#define VSTORE16_AT(v, p) vstore16((v), 0, (p))
#endif

#if W_F16
#define WT half
#define LDW(p, i) vload_half((i), (p))
#else
#define WT float
#define LDW(p, i) ((p)[i])
#endif

#endif
