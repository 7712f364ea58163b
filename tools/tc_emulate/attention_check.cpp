// attention_check.cpp — sdpa_tc (kernels/attention.cl, TC=1) against the portable sdpa, both under emulation, on
// random data (ViT-B/16 and Swin-T head shapes, edges): max |difference| must stay below 1e-2 (fp16 rounding).
// Build with -DMAX_D, -DDV_TILES (and -DACC for the portable kernel when DV > 64).
#include "attention.cl"
#include <cstdio>
#include <random>
int main() {
    // batch, L, S, D, DV, kt
    int cases[][6] = {{2,197,197,64,64,0},{3,49,49,32,32,1},{2,5,70,20,7,0},{1,17,130,MAX_D,DV_TILES*8,1}};
    int bad = 0; std::mt19937 rng(3);
    std::uniform_real_distribution<float> U(-1, 1);
    for (auto& cs : cases) {
        int batch = cs[0], L = cs[1], S = cs[2], D = cs[3], DV = cs[4]; bool kt = cs[5];
        if (D > MAX_D || DV > DV_TILES * 8) continue;
        std::vector<float> a((size_t)batch*L*D), b((size_t)batch*D*S), v((size_t)batch*S*DV), y1((size_t)batch*L*DV), y2(y1.size());
        for (auto& x : a) x = U(rng); for (auto& x : b) x = U(rng); for (auto& x : v) x = U(rng);
        long bRow = kt ? 1 : S, bCol = kt ? D : 1;
        emu_launch(L, batch, 64, [&] { sdpa(L, S, D, DV, 0.37f, a.data(), 0, (long)L*D, b.data(), 0, (long)D*S, bRow, bCol, v.data(), 0, (long)S*DV, y1.data(), 0); });
        emu_launch((L + 15) / 16, batch, 32, [&] { sdpa_tc(L, S, D, DV, 0.37f, a.data(), 0, (long)L*D, b.data(), 0, (long)D*S, bRow, bCol, v.data(), 0, (long)S*DV, y2.data(), 0); });
        double worst = 0;
        for (size_t i = 0; i < y1.size(); i++) worst = std::max(worst, (double)std::fabs(y1[i] - y2[i]));
        printf("attention b%d L%d S%d D%d DV%d kt%d (MAX_D %d, DV_TILES %d): max |portable - tc| = %.3g\n", batch, L, S, D, DV, kt, MAX_D, DV_TILES, worst);
        if (!(worst < 1e-2)) bad++;
    }
    return bad;
}
