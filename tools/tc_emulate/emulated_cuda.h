// emulated_cuda.h — a host (C++20) stand-in for cuda_prelude.h and tensor_core.h, so the tensor-core kernels'
// fragment indexing can be checked on a CPU: force-included before a kernel file, it pre-empts both headers'
// include guards and emulates mma.sync.m16n8k16 and shfl.sync per warp. The emulated mma rebuilds A (16×16) and
// B (16×8) from all 32 lanes' registers by the PTX ISA's fragment layout (the one tensor_core.h's comment
// states), so a kernel that puts an element in the wrong lane or half-register gets a wrong product here.
// It checks the kernels' index math against that layout, not the hardware: the GPU parity tests do that.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <barrier>
#include <thread>
#include <vector>
#include <functional>
#include <algorithm>
#define GPUSEARCH_CUDA_PRELUDE_H 1
#define GPUSEARCH_TENSOR_CORE_H 1
#define __kernel
#define __global
#define __local static
#define __constant
#define restrict __restrict__
#define __launch_bounds__(x)
typedef unsigned char uchar; typedef unsigned short ushort; typedef unsigned int uint; typedef unsigned long ulong;
typedef unsigned short half;
struct Emu { int lid, group0, group1, lsize; };
extern thread_local Emu emu;
inline size_t get_local_id(int d) { return d == 0 ? emu.lid : 0; }
inline size_t get_group_id(int d) { return d == 0 ? emu.group0 : emu.group1; }
inline size_t get_local_size(int d) { return d == 0 ? emu.lsize : 1; }
inline size_t get_global_id(int d) { return d == 0 ? (size_t)emu.group0 * emu.lsize + emu.lid : emu.group1; }
extern std::barrier<>* emu_group_barrier;
#define barrier(f) emu_group_barrier->arrive_and_wait()
#define CLK_LOCAL_MEM_FENCE 1
#define CLK_GLOBAL_MEM_FENCE 2


using std::min; using std::max; using std::fmax; using std::exp; using std::fma;
inline float as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
inline uint as_uint(float f) { uint u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(uint x) { float f; memcpy(&f, &x, 4); return f; }
inline uint __float_as_uint(float f) { return as_uint(f); }
inline float h2f(uint h) { __fp16 x; unsigned short s = (unsigned short)h; memcpy(&x, &s, 2); return (float)x; }
inline uint f2h(float f) { __fp16 x = (__fp16)f; unsigned short s; memcpy(&s, &x, 2); return s; }
inline float vload_half(size_t i, const half* p) { return h2f(p[i]); }
#define atomic_inc(p) __atomic_fetch_add((p), 1, __ATOMIC_SEQ_CST)
#define atomic_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define mad(a, b, c) ((a) * (b) + (c))

// --- the tensor_core.h API, emulated
#define TC_WARP 32
inline uint tc_f16_bits(float f) { return f2h(f); }
inline uint tc_pack(float lo, float hi) { return tc_f16_bits(lo) | (tc_f16_bits(hi) << 16); }
inline uint tc_pack_bits(ushort lo, ushort hi) { return (uint)lo | ((uint)hi << 16); }
inline float tc_f16_to_float(uint h) { return h2f(h); }
struct WarpSlots { uint a[32][4]; uint b[32][2]; float c[32][4]; float v[32]; std::barrier<>* bar; };
extern WarpSlots* emu_warps;
inline float lo16(uint r) { return h2f(r & 0xFFFF); }
inline float hi16(uint r) { return h2f(r >> 16); }
inline void tc_mma(float d[4], const uint a[4], const uint b[2])
{
    const int lane = emu.lid & 31; WarpSlots& w = emu_warps[emu.lid >> 5];
    for (int i = 0; i < 4; i++) { w.a[lane][i] = a[i]; w.c[lane][i] = d[i]; }
    w.b[lane][0] = b[0]; w.b[lane][1] = b[1];
    w.bar->arrive_and_wait();
    // Rebuild A (16x16), B (16x8) from all lanes per the PTX layout.
    float A[16][16], B[16][8];
    for (int l = 0; l < 32; l++) {
        int g = l >> 2, c = l & 3;
        A[g][2*c] = lo16(w.a[l][0]); A[g][2*c+1] = hi16(w.a[l][0]);
        A[g+8][2*c] = lo16(w.a[l][1]); A[g+8][2*c+1] = hi16(w.a[l][1]);
        A[g][2*c+8] = lo16(w.a[l][2]); A[g][2*c+9] = hi16(w.a[l][2]);
        A[g+8][2*c+8] = lo16(w.a[l][3]); A[g+8][2*c+9] = hi16(w.a[l][3]);
        B[2*c][g] = lo16(w.b[l][0]); B[2*c+1][g] = hi16(w.b[l][0]);
        B[2*c+8][g] = lo16(w.b[l][1]); B[2*c+9][g] = hi16(w.b[l][1]);
    }
    const int g = lane >> 2, c = lane & 3;
    for (int e = 0; e < 4; e++) {
        int row = g + (e >> 1) * 8, col = 2 * c + (e & 1);
        float s = w.c[lane][e];
        for (int k = 0; k < 16; k++) s += A[row][k] * B[k][col];
        d[e] = s;
    }
    w.bar->arrive_and_wait();
}
inline float tc_shfl_xor(float v, int mask)
{
    const int lane = emu.lid & 31; WarpSlots& w = emu_warps[emu.lid >> 5];
    w.v[lane] = v; w.bar->arrive_and_wait();
    float r = w.v[lane ^ mask]; w.bar->arrive_and_wait();
    return r;
}
// Runs kernel(...) over groups (g0, g1) with lsize work-items each.
void emu_launch(int groups0, int groups1, int lsize, const std::function<void()>& body);
inline void vstore_half(float f, size_t i, half* p) { p[i] = (half)f2h(f); }
#define __constant__
