// vec_mac.h — the CPU register tile of the GEMM-shaped kernels (linear.cl, attention_cpu.cl, conv.cl): ROWS × NV float16
// accumulators, updated for each k by NV float16 rows of a packed B panel and one broadcast A element per row.
// Written with explicit float16 vectors because LLVM's vectorizers emit 256-bit code for skylake-avx512-class
// targets (prefer-vector-width=256), where a 6 × 64 tile spilled; float16 ops are legalised to 512-bit registers
// (and split into two 256-bit halves on AVX2 targets). Used by conv.cl's one-work-item tile too.
// OpenCL only (float16 and vload16): CUDA builds never take the one-work-item CPU paths that include this.
#ifndef GPUSEARCH_VEC_MAC_H
#define GPUSEARCH_VEC_MAC_H

// acc[i][v] += A_AT(i, k) · B_ROW(k)[16v .. 16v + 15] for k in [0, kn). A_AT(i, k) is a float expression and B_ROW(k)
// a pointer to the k-th panel row (vload16 reads it); ROWS and NV must be compile-time constants so the loops unroll
// and acc stays in registers (PoCL's LLVM keeps a rolled tile on the stack).
#define VEC_MAC(ROWS, NV, acc, kn, A_AT, B_ROW) VEC_MAC_PF(ROWS, NV, acc, kn, A_AT, B_ROW, VEC_NO_PREFETCH)

// VEC_MAC with PF(k_, B_ROW) at the top of each step: a software prefetch for rows read where they lie.
#define VEC_NO_PREFETCH(k, B_ROW)
#define VEC_MAC_PF(ROWS, NV, acc, kn, A_AT, B_ROW, PF)                                                         \
    for (int k_ = 0; k_ < (kn); k_++) {                                                                        \
        PF(k_, B_ROW);                                                                                         \
        float16 b_[NV];                                                                                        \
        _Pragma("unroll") for (int v_ = 0; v_ < (NV); v_++) b_[v_] = vload16(v_, B_ROW(k_));                  \
        _Pragma("unroll") for (int i_ = 0; i_ < (ROWS); i_++) {                                                \
            const float16 a_ = (float16)(A_AT(i_, k_));                                                        \
            _Pragma("unroll") for (int v_ = 0; v_ < (NV); v_++) acc[i_][v_] = fma(a_, b_[v_], acc[i_][v_]);    \
        }                                                                                                      \
    }

// Sets every accumulator of the ROWS × NV tile to zero.
#define VEC_ZERO(ROWS, NV, acc)                                                                                \
    _Pragma("unroll") for (int i_ = 0; i_ < (ROWS); i_++)                                                      \
        _Pragma("unroll") for (int v_ = 0; v_ < (NV); v_++) acc[i_][v_] = (float16)(0.0f)

#endif
