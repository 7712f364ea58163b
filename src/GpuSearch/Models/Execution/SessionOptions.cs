// Options of an InferenceSession: weight storage, batch planning, kernel tiles.
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Execution;

/// <summary>How an <see cref="InferenceSession"/> plans and runs a model.</summary>
internal sealed record SessionOptions
{
    /// <summary>Storage of convolution weights on the device: fp32, or fp16 with fp32 accumulation.</summary>
    public TensorStorage WeightStorage { get; init; } = TensorStorage.F32;

    /// <summary>
    /// Batch sizes plans are made for (for models with a dynamic batch). A batch of any size is split
    /// greedily into these, largest first; 1 is always added so every size can be covered.
    /// </summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [64, 32, 16, 8, 4, 2, 1];

    /// <summary>Conv tiles; the device's default (<see cref="ConvTiles.For"/>) when null.</summary>
    public ConvTiles? ConvTiles { get; init; }

    /// <summary>Run the graph optimizer (BN folding, epilogue fusion) after loading.</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>Defaults.</summary>
    public static SessionOptions Default { get; } = new();
}
