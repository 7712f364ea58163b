// activation.h — the activation functions shared by fused conv/GEMM epilogues and the unary tensor ops.
// ACT selects one at compile time (values match GpuSearch.Models.Ops.ActivationKind); its two float
// parameters (alpha/beta, or min/max for clip) are kernel arguments, so changing them never recompiles.
#ifndef GPUSEARCH_ACTIVATION_H
#define GPUSEARCH_ACTIVATION_H

#ifndef ACT
#define ACT 0
#endif
// The fused epilogues' other two switches: + bias[channel], + residual (added before the activation).
#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif
#ifndef HAS_RES
#define HAS_RES 0
#endif
// bias[i], or 0 without a bias (the kernels always take the argument; the load folds away when HAS_BIAS is 0).
#define BIAS_AT(bias, i) (HAS_BIAS ? (bias)[i] : 0.0f)

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKYRELU 2   // x >= 0 ? x : a*x
#define ACT_CLIP 3        // min(max(x, a), b)
#define ACT_SIGMOID 4
#define ACT_HARDSIGMOID 5 // max(0, min(1, a*x + b))
#define ACT_HARDSWISH 6   // x * max(0, min(1, x/6 + 1/2))
#define ACT_SILU 7        // x * sigmoid(x)
#define ACT_GELU 8        // 0.5 x (1 + erf(x / sqrt 2))
#define ACT_TANH 9
#define ACT_ERF 10
#define ACT_SQRT 11
#define ACT_EXP 12
#define ACT_GELU_TANH 13  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
#define ACT_NEG 14
#define ACT_ABS 15
#define ACT_RECIPROCAL 16
#define ACT_LOG 17
#define ACT_ROUND_F16 18 // value rounded to the nearest fp16 (Cast to float16, kept in fp32 storage)

#ifdef CUDA
#define ACT_ERF_OF(x) erf(x)
#else
// erf for OpenCL devices. PoCL's erf is a scalar call per lane: a Swin MLP's GELU epilogue took 95 of its 125 ms
// there. Below |x| = 1 the Taylor series 2/sqrt(pi) x sum (-1)^n x^2n / (n! (2n+1)) to n = 10; above, 1 - erfc with
// erfc from Numerical Recipes' Chebyshev-fitted exponential (fractional error < 1.2e-7). Both are computed and one
// selected, so the lanes vectorise. Within 1.4e-7 of erf (relative 1.9e-7, ~3 ulp; OpenCL allows erf 16 ulp).
inline float act_erf(const float x) {
    const float z = fabs(x);
    const float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    const float large = copysign(1.0f - t * exp(p - z * z), x);
    const float u = x * x;
    float q = 1.0f / 76204800.0f;
    q = q * u - 1.0f / 6894720.0f;
    q = q * u + 1.0f / 685440.0f;
    q = q * u - 1.0f / 75600.0f;
    q = q * u + 1.0f / 9360.0f;
    q = q * u - 1.0f / 1320.0f;
    q = q * u + 1.0f / 216.0f;
    q = q * u - 1.0f / 42.0f;
    q = q * u + 1.0f / 10.0f;
    q = q * u - 1.0f / 3.0f;
    q = q * u + 1.0f;
    const float small = 1.12837916709551257f * x * q;
    return z < 1.0f ? small : large;
}
#define ACT_ERF_OF(x) act_erf(x)
#endif

inline float apply_act(float x, float a, float b) {
#if ACT == ACT_NONE
    return x;
#elif ACT == ACT_RELU
    return fmax(x, 0.0f);
#elif ACT == ACT_LEAKYRELU
    return x >= 0.0f ? x : a * x;
#elif ACT == ACT_CLIP
    // fmin/fmax rather than clamp: ONNX allows min > max (result is max), and NaN must pass through.
    return x != x ? x : fmin(fmax(x, a), b);
#elif ACT == ACT_SIGMOID
    return 1.0f / (1.0f + exp(-x));
#elif ACT == ACT_HARDSIGMOID
    return fmax(0.0f, fmin(1.0f, a * x + b));
#elif ACT == ACT_HARDSWISH
    return x * fmax(0.0f, fmin(1.0f, x * (1.0f / 6.0f) + 0.5f));
#elif ACT == ACT_SILU
    return x / (1.0f + exp(-x));
#elif ACT == ACT_GELU
    return 0.5f * x * (1.0f + ACT_ERF_OF(x * 0.70710678118654752f));
#elif ACT == ACT_TANH
    return tanh(x);
#elif ACT == ACT_ERF
    return ACT_ERF_OF(x);
#elif ACT == ACT_SQRT
    return sqrt(x);
#elif ACT == ACT_EXP
    return exp(x);
#elif ACT == ACT_GELU_TANH
    return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
#elif ACT == ACT_NEG
    return -x;
#elif ACT == ACT_ABS
    return fabs(x);
#elif ACT == ACT_RECIPROCAL
    return 1.0f / x;
#elif ACT == ACT_LOG
    return log(x);
#elif ACT == ACT_ROUND_F16
    // OpenCL C allows half only behind a pointer (no cl_khr_fp16): round-trip through a 16-bit word.
    ushort h;
    vstore_half(x, 0, (half*)&h);
    return vload_half(0, (const half*)&h);
#else
#error "unknown ACT"
#endif
}

#ifndef CUDA
// The same on 16 lanes, for epilogues written with float16 vectors on CPUs: the piecewise-linear activations in
// vector form (one or two vector ops where the scalar loop cost more than the FMAs it followed), the others lane
// by lane through apply_act.
inline float16 apply_act16(float16 x, float a, float b) {
#if ACT == ACT_NONE
    return x;
#elif ACT == ACT_RELU
    return fmax(x, (float16)(0.0f));
#elif ACT == ACT_LEAKYRELU
    return select(x * a, x, x >= (float16)(0.0f));
#elif ACT == ACT_CLIP
    return select(fmin(fmax(x, (float16)(a)), (float16)(b)), x, isnan(x));
#elif ACT == ACT_HARDSIGMOID
    return fmax((float16)(0.0f), fmin((float16)(1.0f), x * a + b));
#elif ACT == ACT_HARDSWISH
    return x * fmax((float16)(0.0f), fmin((float16)(1.0f), x * (1.0f / 6.0f) + 0.5f));
#else
    float t[16];
    vstore16(x, 0, t);
    for (int l = 0; l < 16; l++) t[l] = apply_act(t[l], a, b);
    return vload16(0, t);
#endif
}
#endif

#endif
