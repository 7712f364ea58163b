// preprocess.cl — image preprocessing for CNN input: RGB8 interleaved pixels → resized, cropped/padded,
// channel-reordered, normalized NCHW tensor (fp32 or fp16), one image into batch slot `slot`.
// Two separable passes with weight tables planned on the host (PreprocessAxis): the horizontal pass
// reads bytes (with a virtual pad-to-square border of fill colour) and writes a float window of the
// columns/rows that the output needs; the vertical pass resamples that window and fuses crop/letterbox
// fill, channel order, scale/mean/std and the dtype store. RESAMPLE_U8 selects PIL's 8-bit arithmetic
// (fixed-point weights, each pass rounded and clamped to 0..255); otherwise everything stays float.
#include "common.h"

// 1: PIL 8-bit fixed-point arithmetic (weights are int, scaled by 2^FIXED_BITS); 0: float weights.
#ifndef RESAMPLE_U8
#define RESAMPLE_U8 1
#endif
// Fractional bits of the fixed-point weights: PIL uses 32 - 8 - 2 so 255 * sum|w| fits an int32.
#ifndef FIXED_BITS
#define FIXED_BITS 22
#endif
// Output element type: DTYPE_F32 or DTYPE_F16 (from common.h).
#ifndef OUT_DTYPE
#define OUT_DTYPE DTYPE_F32
#endif

#if RESAMPLE_U8
typedef int weight_t;
#define ACC_T int
#define ACC_INIT (1 << (FIXED_BITS - 1))
// Round (the +half is in ACC_INIT), drop the fraction, clamp to a byte — as PIL does after each pass.
#define ACC_DONE(a) ((float)clamp((a) >> FIXED_BITS, 0, 255))
#define TO_ACC(v) ((int)(v))
#else
typedef float weight_t;
#define ACC_T float
#define ACC_INIT 0.0f
#define ACC_DONE(a) (a)
#define TO_ACC(v) (v)
#endif

#if OUT_DTYPE == DTYPE_F16
typedef half out_t;
#define STORE_OUT(p, i, v) vstore_half_rte((v), (i), (p))
#else
typedef float out_t;
#define STORE_OUT(p, i, v) ((p)[(i)] = (v))
#endif

// Pass 1. One work-item per (window column x, window row y): resized column col0 + x of padded source row
// row0 + y. bounds/weights describe the horizontal axis; the source starts `srcOffset` bytes into `src`, has
// `stride` bytes per row and is surrounded by padL/padT columns/rows of fill (pad-to-square), which are never materialized.
__kernel void preprocess_resample_h(const __global uchar* src, idx_t srcOffset, int srcW, int srcH, int stride,
                                    int padL, int padT, float fill0, float fill1, float fill2,
                                    const __global int* bounds, const __global weight_t* weights, int taps,
                                    int col0, int row0, int winW, int winH, __global float* win)
{
    int x = (int)get_global_id(0);
    int y = (int)get_global_id(1);
    if (x >= winW || y >= winH) return;
    int col = col0 + x;
    int start = bounds[2 * col], count = bounds[2 * col + 1];
    int sy = row0 + y - padT;
    bool rowInside = sy >= 0 && sy < srcH;
    const __global uchar* row = src + srcOffset + (idx_t)(rowInside ? sy : 0) * stride;
    const __global weight_t* w = weights + (idx_t)col * taps;
    ACC_T a0 = ACC_INIT, a1 = ACC_INIT, a2 = ACC_INIT;
    for (int k = 0; k < count; k++)
    {
        int sx = start + k - padL;
        float p0 = fill0, p1 = fill1, p2 = fill2;
        if (rowInside && sx >= 0 && sx < srcW)
        {
            const __global uchar* px = row + 3 * sx;
            p0 = (float)px[0]; p1 = (float)px[1]; p2 = (float)px[2];
        }
        weight_t wk = w[k];
        a0 += wk * TO_ACC(p0);
        a1 += wk * TO_ACC(p1);
        a2 += wk * TO_ACC(p2);
    }
    __global float* o = win + ((idx_t)y * winW + x) * 3;
    o[0] = ACC_DONE(a0);
    o[1] = ACC_DONE(a1);
    o[2] = ACC_DONE(a2);
}

// Pass 2. One work-item per output pixel (x, y): it reads resized pixel (x + offX, y + offY) — a vertical
// resample of the window — or the fill colour outside the resized image (crop padding, letterbox), then
// writes its three channels, reordered (bgr) and normalized as v * mul + add, into slot `slot` of an
// NCHW tensor of outW × outH images.
__kernel void preprocess_resample_v(const __global float* win, int winW, int col0, int row0,
                                    int resW, int resH, int offX, int offY,
                                    const __global int* bounds, const __global weight_t* weights, int taps,
                                    float fill0, float fill1, float fill2, int bgr,
                                    float mul0, float mul1, float mul2, float add0, float add1, float add2,
                                    __global out_t* out, int outW, int outH, int slot)
{
    int x = (int)get_global_id(0);
    int y = (int)get_global_id(1);
    if (x >= outW || y >= outH) return;
    int rx = x + offX, ry = y + offY;
    float v0 = fill0, v1 = fill1, v2 = fill2;
    if (rx >= 0 && rx < resW && ry >= 0 && ry < resH)
    {
        int start = bounds[2 * ry], count = bounds[2 * ry + 1];
        const __global weight_t* w = weights + (idx_t)ry * taps;
        const __global float* p = win + ((idx_t)(start - row0) * winW + (rx - col0)) * 3;
        ACC_T a0 = ACC_INIT, a1 = ACC_INIT, a2 = ACC_INIT;
        for (int k = 0; k < count; k++)
        {
            weight_t wk = w[k];
            a0 += wk * TO_ACC(p[0]);
            a1 += wk * TO_ACC(p[1]);
            a2 += wk * TO_ACC(p[2]);
            p += (idx_t)winW * 3;
        }
        v0 = ACC_DONE(a0); v1 = ACC_DONE(a1); v2 = ACC_DONE(a2);
    }
    if (bgr) { float t = v0; v0 = v2; v2 = t; }
    idx_t plane = (idx_t)outW * outH;
    idx_t base = (idx_t)slot * 3 * plane + (idx_t)y * outW + x;
    // fma keeps the result identical to the host reference's FusedMultiplyAdd.
    STORE_OUT(out, base, fma(v0, mul0, add0));
    STORE_OUT(out, base + plane, fma(v1, mul1, add1));
    STORE_OUT(out, base + 2 * plane, fma(v2, mul2, add2));
}

// Margin trim: the bounding box of the pixels that differ from the background colour by more than `threshold`
// on some channel. One work-group of TRIM_GROUP work-items per image: each walks every row, striding across the
// columns (coalesced reads), keeps its own box, and the group reduces them in local memory. Writes
// (minX, minY, maxX, maxY) to box[4 * slot]; an image with no content writes minX = srcW (the host then keeps
// the whole image). The host applies the minimum size, so the kernel stays a plain reduction.
#ifndef TRIM_GROUP
#define TRIM_GROUP 256
#endif
__kernel KERNEL_BOUNDS(TRIM_GROUP)
void preprocess_content_box(const __global uchar* src, idx_t srcOffset, int srcW, int srcH, int stride,
                            int bg0, int bg1, int bg2, int threshold, __global int* box, int slot)
{
    __local int lminX[TRIM_GROUP], lminY[TRIM_GROUP], lmaxX[TRIM_GROUP], lmaxY[TRIM_GROUP];
    int lid = LID0;
    int minX = srcW, minY = srcH, maxX = -1, maxY = -1;
    for (int y = 0; y < srcH; y++)
    {
        const __global uchar* row = src + srcOffset + (idx_t)y * stride;
        for (int x = lid; x < srcW; x += TRIM_GROUP)
        {
            const __global uchar* px = row + 3 * x;
            int d0 = (int)px[0] - bg0, d1 = (int)px[1] - bg1, d2 = (int)px[2] - bg2;
            // |d| > threshold on any channel, spelled without abs() (it returns uint in OpenCL C, int in CUDA).
            if (d0 > threshold || -d0 > threshold || d1 > threshold || -d1 > threshold || d2 > threshold || -d2 > threshold)
            {
                minX = min(minX, x); maxX = max(maxX, x);
                minY = min(minY, y); maxY = y;
            }
        }
    }
    lminX[lid] = minX; lminY[lid] = minY; lmaxX[lid] = maxX; lmaxY[lid] = maxY;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = TRIM_GROUP / 2; s > 0; s >>= 1)
    {
        if (lid < s)
        {
            lminX[lid] = min(lminX[lid], lminX[lid + s]);
            lminY[lid] = min(lminY[lid], lminY[lid + s]);
            lmaxX[lid] = max(lmaxX[lid], lmaxX[lid + s]);
            lmaxY[lid] = max(lmaxY[lid], lmaxY[lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0)
    {
        __global int* b = box + 4 * (idx_t)slot;
        b[0] = lminX[0]; b[1] = lminY[0]; b[2] = lmaxX[0]; b[3] = lmaxY[0];
    }
}
