// Tile configurations of the implicit-GEMM conv and depthwise kernels, per kind of device.
namespace GpuSearch.Models.Ops;

/// <summary>Tiles of kernels/conv.cl (each value becomes a #define) and of kernels/depthwise.cl.</summary>
/// <param name="TileM">Output channels per work-group.</param>
/// <param name="TileN">Output pixels per work-group.</param>
/// <param name="TileK">Depth of each local tile (input channel × kernel taps).</param>
/// <param name="WorkPerThreadM">Output channels per work-item.</param>
/// <param name="WorkPerThreadN">Output pixels per work-item.</param>
/// <param name="DepthwiseWidth">Consecutive outputs per work-item in the depthwise kernel.</param>
/// <param name="DepthwiseRows">Output rows per work-group in the row-wise depthwise kernel; the work-group size of the per-pixel one.</param>
/// <param name="DepthwisePerPixel">Use the one-output-per-work-item depthwise kernel (GPUs) instead of the row-wise one (CPUs).</param>
/// <param name="SubBlocksM">Sub-blocks a work-item covers one after another within its channel tile (reusing the packed input tile).</param>
/// <param name="PanelDepth">
/// Deepest K tile (input channels × taps) a one-work-item configuration packs at once (a multiple of 64); a deeper K is
/// gathered a panel at a time, each panel once for all sub-blocks, whose accumulators then wait in local memory.
/// </param>
/// <param name="DeepTileM">
/// Output channels per one-work-item group whenever the input is gathered (not a pointwise row copy) or K is
/// deeper than a panel: more sub-blocks per gathered panel; 0 = <paramref name="TileM"/>.
/// </param>
internal sealed record ConvTiles(int TileM, int TileN, int TileK, int WorkPerThreadM, int WorkPerThreadN,
    int DepthwiseWidth = 16, int DepthwiseRows = 16, bool DepthwisePerPixel = false, int SubBlocksM = 1, int PanelDepth = 1152,
    int DeepTileM = 0)
{
    /// <summary>
    /// CPU (PoCL): one work-item per work-group whose register tile is the whole tile, so the local
    /// tiles act as packed panels and the pixel loop vectorises. 6 × 64 accumulators are 24 AVX-512 registers,
    /// leaving room for the operands (8 × 64 filled all 32); the AVX-512 class default (TuningDefaults.CpuTiles(6, 64)).
    /// </summary>
    public static ConvTiles Cpu { get; } = new(24, 64, 64, 6, 64, 16, 16, SubBlocksM: 4, PanelDepth: 256, DeepTileM: 516);

    /// <summary>GPU: 256 work-items of 4×4 outputs over 64×64 tiles.</summary>
    public static ConvTiles Gpu { get; } = new(64, 64, 16, 4, 4, 8, 64, DepthwisePerPixel: true);

    /// <summary>
    /// The tiles a device runs with: its tuned winner from the tuning cache (`gpusearch tune`) when one is valid,
    /// else the shipped default of its device class (<see cref="Tuning.TuningDefaults"/>).
    /// </summary>
    public static ConvTiles For(Compute.DeviceInfo info) => Tuning.TunedConvTiles.For(info);

    internal int ThreadsM => TileM / SubBlocksM / WorkPerThreadM;
    internal int ThreadsN => TileN / WorkPerThreadN;

    internal void Validate()
    {
        OpCheck.Positive("conv tiles", TileM, TileN, TileK, WorkPerThreadM, WorkPerThreadN, DepthwiseWidth, DepthwiseRows);
        OpCheck.Positive("conv sub-blocks", SubBlocksM, PanelDepth);
        if (PanelDepth % 64 != 0) throw new ArgumentException($"Conv panel depth {PanelDepth} is not a multiple of 64");
        if (DeepTileM < 0 || (DeepTileM > 0 && DeepTileM % (TileM / SubBlocksM) != 0))
            throw new ArgumentException($"Conv deep tile {DeepTileM} is not a multiple of the sub-block height {TileM / SubBlocksM}");
        if (TileM % (WorkPerThreadM * SubBlocksM) != 0 || TileN % WorkPerThreadN != 0)
            throw new ArgumentException($"Conv tiles {TileM}×{TileN} are not multiples of work per thread {WorkPerThreadM}×{WorkPerThreadN}");
        var threads = ThreadsM * ThreadsN;
        if (threads % TileN != 0 && TileN % threads != 0)
            throw new ArgumentException($"Conv tiles: {threads} work-items must divide or be a multiple of TileN {TileN}");
    }
}
