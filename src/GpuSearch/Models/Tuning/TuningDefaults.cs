// The one registry of shipped tuning: per device class, the conv tiles and scan tunables a cold start uses and
// the search spaces `gpusearch tune` measures. Adding a device class is one entry here (see TUNING.md).
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

/// <summary>Shipped defaults and search space of one device class.</summary>
/// <param name="Class">The device class.</param>
/// <param name="ConvDefault">Conv tiles used until the device is tuned.</param>
/// <param name="ConvSearchSpace">Candidates the tuner measures (the default is always measured too).</param>
/// <param name="Provenance">Where the default comes from (measured where, or derived how).</param>
/// <param name="ScanDefault">Exact-scan tunables used until the device is tuned.</param>
/// <param name="ScanSearchSpace">Scan candidates the tuner measures (the default is always measured too).</param>
internal sealed record DeviceTuningProfile(DeviceClass Class, ConvTiles ConvDefault, IReadOnlyList<ConvTiles> ConvSearchSpace, string Provenance,
    ScanTiles ScanDefault, IReadOnlyList<ScanTiles> ScanSearchSpace);

/// <summary>Shipped tuning profiles, one per <see cref="DeviceClass"/>.</summary>
internal static class TuningDefaults
{
    private static readonly Dictionary<DeviceClass, DeviceTuningProfile> Profiles = Build();

    /// <summary>The profile of a class.</summary>
    public static DeviceTuningProfile For(DeviceClass c) => Profiles[c];

    /// <summary>Every shipped profile.</summary>
    public static IReadOnlyCollection<DeviceTuningProfile> All => Profiles.Values;

    /// <summary>
    /// CPU tiles with one work-item per group: a register tile of <paramref name="rows"/> output channels ×
    /// <paramref name="pixels"/> output pixels, four sub-blocks per channel tile, deep tiles of up to 512 channels
    /// (every output channel of ResNet's widest layers shares one gathered input panel), K gathered 256 deep at a time
    /// (a 6 × 64 panel is then 64 KiB, near L1; 1152 deep: ResNet-18 8–10 % more CPU-s/img on the Zen 5 VM).
    /// </summary>
    public static ConvTiles CpuTiles(int rows, int pixels) =>
        new(rows * 4, pixels, 64, rows, pixels, 16, 16, SubBlocksM: 4, PanelDepth: 256, DeepTileM: (512 + rows - 1) / rows * rows);

    private static Dictionary<DeviceClass, DeviceTuningProfile> Build()
    {
        // CPU search space: accumulator blocks from 3×16 floats (6 AVX2 registers) to 8×64 (all 32 AVX-512 ones).
        ConvTiles[] cpuSpace = [.. from rows in new[] { 3, 4, 6, 8 } from pixels in new[] { 16, 32, 64 } select CpuTiles(rows, pixels)];
        ConvTiles[] gpuSpace =
        [
            new(64, 64, 16, 4, 4, 8, 64, DepthwisePerPixel: true),
            new(128, 64, 16, 8, 4, 8, 64, DepthwisePerPixel: true),
            new(32, 32, 16, 2, 2, 8, 64, DepthwisePerPixel: true),
            new(64, 128, 16, 4, 8, 8, 64, DepthwisePerPixel: true),
        ];
        // Scan on CPUs: a work-item keeps QB × RPW accumulators in vector registers. AVX-512 (32 ymm: LLVM prefers 256-bit
        // vectors for skylake-avx512): 64 rows × 2 queries = 16 accumulators + 8 row vectors + 1 broadcast, no spills;
        // 95 GFLOP per CPU-second at Q=1024 on the AVX-512 VM against 40 for the former RPW 16 × QT 32 block (64 ymm
        // of accumulators, a spill on every fma). AVX2 (16 ymm): 32 rows × 2 queries = 8 + 4 + 1 (derived). SSE/NEON
        // (16 registers of 4 floats): 16 rows × 2 queries (derived). Select groups of 1 on CPUs: a group's work-items
        // run serially and local atomics only add cost.
        var avx512Scan = new ScanTiles(64, 64, 1, 8, QueryBlock: 2);
        var avx2Scan = new ScanTiles(32, 64, 1, 8, QueryBlock: 2);
        var otherCpuScan = new ScanTiles(16, 64, 1, 8, QueryBlock: 2);
        ScanTiles[] cpuScan =
        [
            .. from rpw in new[] { 16, 32, 64 } from qt in new[] { 32, 64 } from qb in new[] { 1, 2, 4 } select new ScanTiles(rpw, qt, 1, 8, qb),
            .. from g in new[] { 2, 32 } select avx512Scan with { GroupsPerComputeUnit = g },
        ];
        // GPUs: a work-item is a row (coalesced loads across the warp), select groups of a few warps, the whole query
        // tile in registers (QB 0).
        ScanTiles[] gpuScan = [.. from rpw in new[] { 1, 2 } from qt in new[] { 16, 32, 64 } from sel in new[] { 128, 256 } from g in new[] { 4, 8, 16 }
                                   select new ScanTiles(rpw, qt, sel, g)];
        var gpuScanDefault = new ScanTiles(1, 32, 256, 8);
        DeviceTuningProfile[] profiles =
        [
            // 6 × 64 accumulators = 24 of 32 zmm registers (kernels/conv.cl writes the product with float16 vectors:
            // LLVM's auto-vectorised code used ymm and spilled). ResNet-18, `gpusearch-bench ort --tiles`, Zen 5 VM,
            // 2026-12-02: 0.0315 CPU-s/img against 0.0350 for 6 × 32 and 0.0363 for 12 × 32.
            new(DeviceClass.CpuAvx512, CpuTiles(6, 64), cpuSpace, "measured: 2-vCPU AMD EPYC (AVX-512), PoCL 3.1 skylake-avx512",
                avx512Scan, cpuScan),
            // 16 ymm registers: 6 × 16 floats = 12 accumulators + 2 operand vectors + 1 broadcast. Measured on AVX2 code
            // (PoCL told to compile for haswell on the Zen 5 VM: POCL_LLVM_CPU_NAME=haswell, 16 ymm, no EVEX), ResNet-18
            // batch 8, `gpusearch-bench ort --tiles`, 2026-12-02: 0.053 CPU-s/img against 0.058 for 4 × 16 and 0.091
            // for the former 3 × 32 default. Not yet confirmed on a real AVX2-only machine.
            new(DeviceClass.CpuAvx2, CpuTiles(6, 16), cpuSpace, "measured: AVX2 (haswell) code from PoCL 3.1 on a Zen 5 VM",
                avx2Scan, cpuScan),
            // 16 SSE/NEON registers of 4 floats: 3 × 16 = 12 accumulators.
            new(DeviceClass.CpuOther, CpuTiles(3, 16), cpuSpace, "derived: 16 SSE/NEON registers of 4 floats; unmeasured",
                otherCpuScan, cpuScan),
            new(DeviceClass.NvidiaSm80, gpuSpace[0], gpuSpace, "the generic GPU tiles; unmeasured on sm_80",
                gpuScanDefault, gpuScan),
            new(DeviceClass.NvidiaSm90, gpuSpace[0], gpuSpace, "the generic GPU tiles; unmeasured on sm_90",
                gpuScanDefault, gpuScan),
            new(DeviceClass.GpuOther, gpuSpace[0], gpuSpace, "256 work-items of 4×4 outputs over 64×64 tiles",
                gpuScanDefault, gpuScan),
        ];
        var d = profiles.ToDictionary(p => p.Class);
        foreach (var c in Enum.GetValues<DeviceClass>())
            if (!d.ContainsKey(c)) throw new InvalidOperationException($"No tuning profile for device class {c}");
        return d;
    }
}
