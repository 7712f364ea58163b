// plane_tile.h — the padded, stride-phased copy of one input plane into local memory that the CPU plane kernels
// (depthwise2d_plane, pool2d_plane) compute from without bounds checks. Each padded row is split into `sw` phases:
// padded column c goes to phase c % sw at index c / sw, so a strided window tap over consecutive outputs reads
// consecutive floats. Row r of the tile starts at tile + r·sw·pws; pads (and rows outside the input) hold `padv`.
// Include after storage.h (the plane is read with LDX). `sw` is a compile-time constant at every call site.
#ifndef GPUSEARCH_PLANE_TILE_H
#define GPUSEARCH_PLANE_TILE_H

inline void plane_tile_copy(LOCAL_PTR float* tile, const __global XT* restrict xp, const int H, const int W,
                            const int PT, const int PL, const int ph_rows, const int pws, const int sw, const float padv) {
    for (int r = 0; r < ph_rows; r++) {
        const int ih = r - PT;
        for (int ph = 0; ph < sw; ph++) {
            LOCAL_PTR float* tr = tile + (r * sw + ph) * pws;
            // Phase ph holds columns c = i·sw + ph, input column iw = c − PL: [i0, i1) are inside the input.
            int i0 = 0, i1 = 0;
            if (ih >= 0 && ih < H) {
                i0 = min(pws, max(0, (PL - ph + sw - 1) / sw));
                i1 = max(i0, min(pws, (W + PL - ph + sw - 1) / sw));
            }
            const __global XT* xr = xp + (idx_t)ih * W + ph - PL;
            for (int i = 0; i < i0; i++) tr[i] = padv;
            int i = i0;
#if !defined(CUDA) && !X_F16
            // Stride 2: 32 consecutive floats split into their even (this phase's) lanes, while the read stays in the row.
            if (sw == 2)
                for (; i + 16 <= i1 && 2 * (i + 16) + ph - PL <= W; i += 16)
                    vstore16(shuffle2(vload16(0, xr + 2 * i), vload16(0, xr + 2 * i + 16),
                                      (uint16)(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)), 0, tr + i);
#endif
            for (; i < i1; i++) tr[i] = LDX(xr, i * sw);
            for (; i < pws; i++) tr[i] = padv;
        }
    }
}

#endif
