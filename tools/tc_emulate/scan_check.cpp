// scan_check.cpp — scan_topk and scan_scores (kernels/scan_topk.cl, fp16 storage) under emulation; writes their
// outputs (IP and L2) to a file, so run.sh can compare the TC=1 build with the TC=0 build byte for byte on
// small-integer data (usage: scan_check OUT INTEGERS(1|0) D).
#include "scan_topk.cl"
#include <cstdio>
#include <random>
// usage: scan_test OUTFILE INTEGER(1|0) D
int main(int argc, char** argv) {
    const int n = 5000, d = atoi(argv[3]), nq = QT * 2, k = 10; const bool ints = atoi(argv[2]);
    const int tiles = (n + ROWS - 1) / ROWS;
    std::mt19937 rng(7); std::uniform_real_distribution<float> U(-1, 1);
    auto val = [&] { return ints ? (float)((int)(rng() % 17) - 8) : U(rng); };
    std::vector<float> x((size_t)n * d), q((size_t)nq * d);
    for (auto& v : x) v = val(); for (auto& v : q) v = val();
    std::vector<half> db((size_t)tiles * ROWS * d, 0);
    std::vector<float> rowf(tiles * ROWS, 1.0f), rown(tiles * ROWS, 0.0f), qnorm(nq, 0.0f);
    std::vector<uint> ranks(tiles * ROWS, 0xFFFFFFFFu); std::vector<long> ids(tiles * ROWS, -1);
    for (int r = 0; r < n; r++) {
        int t = r / ROWS, rr = r % ROWS; float s = 0;
        for (int j = 0; j < d; j++) { half h = (half)f2h(x[(size_t)r * d + j]); db[(size_t)t * ROWS * d + (size_t)j * ROWS + rr] = h; s += h2f(h) * h2f(h); }
        rown[r] = s; ranks[r] = r; ids[r] = r;
    }
    for (int i = 0; i < nq; i++) { float s = 0; for (int j = 0; j < d; j++) s += q[(size_t)i*d+j] * q[(size_t)i*d+j]; qnorm[i] = s; }
    uint allow = 0; int hits[256] = {0};
    FILE* f = fopen(argv[1], "wb");
    for (int metric : {0, 2}) {
        const int nsplit = 3, tps = (tiles + nsplit - 1) / nsplit;
        std::vector<ulong> out((size_t)nq * nsplit * k, 0);
        emu_launch(nq / QT, nsplit, WG, [&] { scan_topk(q.data(), db.data(), rowf.data(), rown.data(), qnorm.data(), ranks.data(), ids.data(), &allow, 0,
            metric, 0, 0, d, 0, tiles, tps, nsplit, k, 0, out.data(), hits); });
        fwrite(out.data(), 8, out.size(), f);
        // scan_scores over the first 10 tiles, both query tiles
        const long ld = 10L * ROWS;
        std::vector<ulong> sc((size_t)nq * ld, 0);
        emu_launch(10, nq / QT, WG, [&] { scan_scores(q.data(), db.data(), rowf.data(), rown.data(), qnorm.data(), ranks.data(), ids.data(), &allow, 0,
            metric, 0, 0, d, 0, 0, nq, ld, 0, sc.data(), hits); });
        fwrite(sc.data(), 8, sc.size(), f);
    }
    fclose(f);
    return 0;
}
