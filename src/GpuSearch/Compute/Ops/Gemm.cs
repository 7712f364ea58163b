// Host side of kernels/gemm.cl: argument checks, tile geometry, launch.
namespace GpuSearch.Compute.Ops;

/// <summary>Tile configuration of the GEMM kernel; each value becomes a #define.</summary>
/// <param name="TileM">Rows of C per work-group.</param>
/// <param name="TileN">Columns of C per work-group.</param>
/// <param name="TileK">Depth of each local-memory tile.</param>
/// <param name="WorkPerThreadM">Rows of C per work-item.</param>
/// <param name="WorkPerThreadN">Columns of C per work-item.</param>
internal sealed record GemmTiles(int TileM = 64, int TileN = 64, int TileK = 16, int WorkPerThreadM = 4, int WorkPerThreadN = 4)
{
    /// <summary>The default tiles (64×64×16, 4×4 per work-item, 256 work-items).</summary>
    public static GemmTiles Default { get; } = new();

    internal int ThreadsM => TileM / WorkPerThreadM;
    internal int ThreadsN => TileN / WorkPerThreadN;

    internal void Validate()
    {
        if (TileM % WorkPerThreadM != 0 || TileN % WorkPerThreadN != 0)
            throw new ArgumentException($"Tiles {TileM}×{TileN} are not multiples of work per thread {WorkPerThreadM}×{WorkPerThreadN}");
        if (TileK <= 0 || ThreadsM <= 0 || ThreadsN <= 0) throw new ArgumentException("Tile sizes must be positive");
    }
}

/// <summary>Single-precision GEMM on a device: <c>C = alpha·op(A)·op(B) + beta·C</c>, row-major.</summary>
internal static class Gemm
{
    /// <summary>Enqueues the GEMM on <paramref name="stream"/>. Offsets are in elements.</summary>
    /// <param name="stream">Stream to run on.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="a">A, stored M×K (or K×M if <paramref name="transA"/>).</param>
    /// <param name="b">B, stored K×N (or N×K if <paramref name="transB"/>).</param>
    /// <param name="c">C, M×N.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the existing C (0 ignores C's contents, NaN included).</param>
    /// <param name="transA">A is stored transposed.</param>
    /// <param name="transB">B is stored transposed.</param>
    /// <param name="aOffset">Element offset into A.</param>
    /// <param name="bOffset">Element offset into B.</param>
    /// <param name="cOffset">Element offset into C.</param>
    /// <param name="tiles">Tile configuration, <see cref="GemmTiles.Default"/> if null.</param>
    /// <param name="allowTensorCores">The caller accepts fp16-rounded inputs: with default tiles the opt-in
    /// tensor-core variant runs where <see cref="TensorCores.UseFor"/> says so (model Gemm ops pass true; statistics
    /// such as covariance keep fp32 inputs).</param>
    public static void Run(ComputeStream stream, int m, int n, int k, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c,
        float alpha = 1f, float beta = 0f, bool transA = false, bool transB = false,
        long aOffset = 0, long bOffset = 0, long cOffset = 0, GemmTiles? tiles = null, bool allowTensorCores = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0) return;
        a.CheckRange(aOffset * 4, (long)m * k * 4, nameof(a));
        b.CheckRange(bOffset * 4, (long)k * n * 4, nameof(b));
        c.CheckRange(cOffset * 4, (long)m * n * 4, nameof(c));
        if (allowTensorCores && tiles is null && TensorCores.UseFor(stream.Device))
        {
            RunTensorCores(stream, m, n, k, a, b, c, alpha, beta, transA, transB, aOffset, bOffset, cOffset);
            return;
        }
        var t = tiles ?? GemmTiles.Default;
        t.Validate();
        var defines = new KernelDefines().Set("TILE_M", t.TileM).Set("TILE_N", t.TileN).Set("TILE_K", t.TileK)
            .Set("WPT_M", t.WorkPerThreadM).Set("WPT_N", t.WorkPerThreadN)
            .Set("TRANS_A", transA ? 1 : 0).Set("TRANS_B", transB ? 1 : 0);
        var kernel = stream.Device.GetKernel("gemm.cl", "gemm_f32", defines);
        long groupsN = (n + t.TileN - 1) / t.TileN, groupsM = (m + t.TileM - 1) / t.TileM;
        stream.Launch(kernel, [groupsN * t.ThreadsN, groupsM * t.ThreadsM], [t.ThreadsN, t.ThreadsM],
            new KernelArgs().Int(m).Int(n).Int(k).Float(alpha).Float(beta)
                .Buffer(a).Long(aOffset).Buffer(b).Long(bOffset).Buffer(c).Long(cOffset));
    }

    /// <summary>Block of C per work-group of gemm_f32_tc (4 warps of 32×32).</summary>
    internal const int TensorCoreBlock = 64;

    /// <summary>The opt-in tensor-core variant (<see cref="TensorCores"/>): fp16-rounded inputs, fp32 accumulation.</summary>
    private static void RunTensorCores(ComputeStream stream, int m, int n, int k, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c,
        float alpha, float beta, bool transA, bool transB, long aOffset, long bOffset, long cOffset)
    {
        var defines = new KernelDefines().Set("TC", 1).Set("TRANS_A", transA ? 1 : 0).Set("TRANS_B", transB ? 1 : 0);
        var kernel = stream.Device.GetKernel("gemm.cl", "gemm_f32_tc", defines);
        long groupsN = (n + TensorCoreBlock - 1) / TensorCoreBlock, groupsM = (m + TensorCoreBlock - 1) / TensorCoreBlock;
        stream.Launch(kernel, [groupsN * 128, groupsM], [128, 1],
            new KernelArgs().Int(m).Int(n).Int(k).Float(alpha).Float(beta)
                .Buffer(a).Long(aOffset).Buffer(b).Long(bOffset).Buffer(c).Long(cOffset));
    }
}
