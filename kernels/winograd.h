// winograd.h — the 1-D transforms of Winograd F(4×4, 3×3) (Lavin & Gray), on any arithmetic type T (float for the
// per-tile kernels of winograd.cl, float16 for the tile-vector kernel of winograd_fused.cl).
#ifndef GPUSEARCH_WINOGRAD_H
#define GPUSEARCH_WINOGRAD_H

// o = Bᵀ · (a0..a5), Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
#define WINO_BT_T(T, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5) { \
        const T t4_ = (a4) - 4.0f * (a2), t3_ = (a3) - 4.0f * (a1);     \
        const T s2_ = (a4) - (a2), d2_ = 2.0f * ((a3) - (a1));          \
        o0 = 4.0f * (a0) - 5.0f * (a2) + (a4);                          \
        o1 = t4_ + t3_;                                                 \
        o2 = t4_ - t3_;                                                 \
        o3 = s2_ + d2_;                                                 \
        o4 = s2_ - d2_;                                                 \
        o5 = 4.0f * (a1) - 5.0f * (a3) + (a5); }

// o = Aᵀ · (a0..a5), Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
#define WINO_AT_T(T, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3) { \
        const T p12_ = (a1) + (a2), m12_ = (a1) - (a2);       \
        const T p34_ = (a3) + (a4), m34_ = (a3) - (a4);       \
        o0 = (a0) + p12_ + p34_;                              \
        o1 = m12_ + 2.0f * m34_;                              \
        o2 = p12_ + 4.0f * p34_;                              \
        o3 = m12_ + 8.0f * m34_ + (a5); }

#define WINO_BT(...) WINO_BT_T(float, __VA_ARGS__)
#define WINO_AT(...) WINO_AT_T(float, __VA_ARGS__)

#endif
