// emulated_launch.cpp — runs an emulated kernel: one work-group at a time, a std::thread per work-item, a
// std::barrier for barrier() and one per warp for the emulated mma.sync / shfl.sync (emulated_cuda.h).
thread_local Emu emu;
std::barrier<>* emu_group_barrier;
WarpSlots* emu_warps;
void emu_launch(int groups0, int groups1, int lsize, const std::function<void()>& body)
{
    for (int g1 = 0; g1 < groups1; g1++)
        for (int g0 = 0; g0 < groups0; g0++) {
            std::barrier<> gb(lsize);
            emu_group_barrier = &gb;
            int nw = (lsize + 31) / 32;
            std::vector<WarpSlots> warps(nw);
            std::vector<std::unique_ptr<std::barrier<>>> wb;
            for (int i = 0; i < nw; i++) { wb.emplace_back(new std::barrier<>(std::min(32, lsize - 32 * i))); warps[i].bar = wb[i].get(); }
            emu_warps = warps.data();
            std::vector<std::thread> ts;
            for (int l = 0; l < lsize; l++) ts.emplace_back([&, l] { emu = {l, g0, g1, lsize}; body(); });
            for (auto& t : ts) t.join();
        }
}
