// Host side of kernels/attention.cl: fused scaled-dot-product attention over a flattened batch, where each
// operand either has the whole batch or one matrix shared by all (batch stride 0).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Y[b] = softmax(scale · A[b]·B[b]) · V[b]. Offsets are in elements.</summary>
internal static class Attention
{
    /// <summary>Work-items per query row (scores per tile held in local memory).</summary>
    public const int Tile = 64;

    /// <summary>Largest inner dimension D of A·B held in local memory by the kernel.</summary>
    public const int MaxD = 1024;

    /// <summary>Largest value width DV (accumulators held in registers, DV / Tile per item).</summary>
    public const int MaxDV = 1024;

    /// <summary>
    /// A is [batch or 1, L, D], V is [batch or 1, S, DV], Y is [batch, L, DV]; B's element (batch t, d, j) is read at
    /// t·<paramref name="bBatch"/> + d·<paramref name="bRow"/> + j·<paramref name="bCol"/> (bBatch 0: one shared matrix),
    /// so Kᵀ can be read straight from K in whatever layout its Transpose had. <paramref name="cpuForm"/> true runs the
    /// one-work-item CPU kernel (attention_cpu.cl), false the work-group kernel (sdpa), null picks by device (OpenCL CPU
    /// devices the former where its local copies fit); tests force each form on whatever device is there.
    /// </summary>
    public static void Run(ComputeStream stream, int batch, int l, int s, int d, int dv, float scale,
        DeviceTensor a, bool aShared, DeviceTensor b, long bBatch, long bRow, long bCol, DeviceTensor v, bool vShared, DeviceTensor y,
        bool? cpuForm = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("attention dims", batch, l, s, d, dv);
        if (d > MaxD) throw new NotSupportedException($"attention inner dimension {d} exceeds {MaxD}");
        if (dv > MaxDV) throw new NotSupportedException($"attention value width {dv} exceeds {MaxDV}");
        OpCheck.Range(a.Buffer, a.Offset, (aShared ? 1L : batch) * l * d, nameof(a));
        OpCheck.Range(b.Buffer, b.Offset, (batch - 1) * bBatch + (d - 1) * bRow + (s - 1) * bCol + 1, nameof(b));
        OpCheck.Range(v.Buffer, v.Offset, (vShared ? 1L : batch) * s * dv, nameof(v));
        OpCheck.Range(y.Buffer, y.Offset, (long)batch * l * dv, nameof(y));
        if (TensorCores.UseFor(stream.Device) && d <= TensorCoreMaxD && dv <= TensorCoreMaxDV)
        {
            RunTensorCores(stream, batch, l, s, d, dv, scale, a, aShared, b, bBatch, bRow, bCol, v, vShared, y);
            return;
        }
        if (cpuForm ?? (stream.Device.Info.IsCpu && stream.Device.Info.Backend == ComputeBackend.OpenCL))
        {
            if (AttentionCpu.Fits(stream.Device.Info, s, d, dv))
            {
                AttentionCpu.Run(stream, batch, l, s, d, dv, scale, a, aShared, b, bBatch, bRow, bCol, v, vShared, y);
                return;
            }
            if (cpuForm == true) throw new NotSupportedException($"CPU attention: keys {s} × width {d}/{dv} exceed local memory");
        }
        // Kernel variants by local-memory row size and accumulator count (powers of two keep the variants few).
        int maxD = Tile; while (maxD < d) maxD *= 2;
        int acc = 1; while (acc * Tile < dv) acc *= 2;
        var k = stream.Device.GetKernel("attention.cl", "sdpa", new KernelDefines().Set("TILE", Tile).Set("MAX_D", maxD).Set("ACC", acc));
        stream.Launch(k, [Tile * l, batch], [Tile, 1], new KernelArgs().Int(l).Int(s).Int(d).Int(dv).Float(scale)
            .Buffer(a.Buffer).Long(a.Offset).Long(aShared ? 0 : (long)l * d)
            .Buffer(b.Buffer).Long(b.Offset).Long(bBatch).Long(bRow).Long(bCol)
            .Buffer(v.Buffer).Long(v.Offset).Long(vShared ? 0 : (long)s * dv)
            .Buffer(y.Buffer).Long(y.Offset));
    }

    /// <summary>Largest D of the tensor-core variant (its Q fragments, D/16 × 4 registers, stay in registers).</summary>
    public const int TensorCoreMaxD = 128;

    /// <summary>Largest DV of the tensor-core variant (its output, DV/8 × 4 fp32 registers, stays in registers).</summary>
    public const int TensorCoreMaxDV = 128;

    /// <summary>The opt-in tensor-core variant (<see cref="TensorCores"/>): a warp per 16 query rows.</summary>
    private static void RunTensorCores(ComputeStream stream, int batch, int l, int s, int d, int dv, float scale,
        DeviceTensor a, bool aShared, DeviceTensor b, long bBatch, long bRow, long bCol, DeviceTensor v, bool vShared, DeviceTensor y)
    {
        int maxD = 16; while (maxD < d) maxD *= 2;
        int dvTiles = 1; while (dvTiles * 8 < dv) dvTiles *= 2;
        var k = stream.Device.GetKernel("attention.cl", "sdpa_tc", new KernelDefines().Set("TC", 1).Set("MAX_D", maxD).Set("DV_TILES", dvTiles));
        stream.Launch(k, [32L * ((l + 15) / 16), batch], [32, 1], new KernelArgs().Int(l).Int(s).Int(d).Int(dv).Float(scale)
            .Buffer(a.Buffer).Long(a.Offset).Long(aShared ? 0 : (long)l * d)
            .Buffer(b.Buffer).Long(b.Offset).Long(bBatch).Long(bRow).Long(bCol)
            .Buffer(v.Buffer).Long(v.Offset).Long(vShared ? 0 : (long)s * dv)
            .Buffer(y.Buffer).Long(y.Offset));
    }
}
