// Host side of kernels/attention_cpu.cl: the attention of Attention.Run for CPU devices, one work-item per work-group,
// each owning a batch entry's Kᵀ and V in local memory and a range of query rows.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>softmax(scale · A·B) · V with float16 register tiles (OpenCL CPU devices); operands as <see cref="Attention.Run"/>.</summary>
internal static class AttentionCpu
{
    /// <summary>Query rows per register tile: 6 rows × 64 columns are 24 of the 32 AVX-512 registers.</summary>
    private const int Rows = 6;

    /// <summary>Bytes of local memory left for the runtime and kernel arguments.</summary>
    private const long Reserve = 16384;

    /// <summary>True when the kernel's local copies (Kᵀ, V, a row block's scores and queries) fit the device's local memory.</summary>
    public static bool Fits(DeviceInfo info, int s, int d, int dv) => LocalBytes(s, d, dv) + Reserve <= info.LocalMemoryBytes;

    private static long LocalBytes(int s, int d, int dv)
    {
        long sPad = OpCheck.RoundUp(s, 16), dvPad = OpCheck.RoundUp(dv, 16), maxD = MaxD(d);
        return 4 * (maxD * sPad + sPad * dvPad + Rows * sPad + Rows * maxD);
    }

    /// <summary>D rounded up to a power of two (at least 16), so models share kernel variants.</summary>
    private static int MaxD(int d) { int m = 16; while (m < d) m *= 2; return m; }

    /// <summary>Enqueues the attention; the caller has checked the ranges and <see cref="Fits"/>.</summary>
    public static void Run(ComputeStream stream, int batch, int l, int s, int d, int dv, float scale,
        DeviceTensor a, bool aShared, DeviceTensor b, long bBatch, long bRow, long bCol, DeviceTensor v, bool vShared, DeviceTensor y)
    {
        // Work-items split a batch entry's query rows only when the batch alone cannot keep every core busy twice over;
        // each split repeats the entry's Kᵀ and V copies.
        int cores = Math.Max(1, stream.Device.Info.ComputeUnits);
        int blocks = (l + Rows - 1) / Rows;
        int splits = Math.Clamp((2 * cores + batch - 1) / batch, 1, blocks);
        int qRows = (blocks + splits - 1) / splits * Rows;
        var defines = new KernelDefines().Set("ROWS", Rows).Set("MAX_D", MaxD(d))
            .Set("S_PAD", (int)OpCheck.RoundUp(s, 16)).Set("DV_PAD", (int)OpCheck.RoundUp(dv, 16));
        var k = stream.Device.GetKernel("attention_cpu.cl", "sdpa_cpu", defines);
        stream.Launch(k, [batch, (l + qRows - 1) / qRows], [1, 1], new KernelArgs().Int(l).Int(s).Int(d).Int(dv).Float(scale).Int(qRows)
            .Buffer(a.Buffer).Long(a.Offset).Long(aShared ? 0 : (long)l * d)
            .Buffer(b.Buffer).Long(b.Offset).Long(bBatch).Long(bRow).Long(bCol)
            .Buffer(v.Buffer).Long(v.Offset).Long(vShared ? 0 : (long)s * dv)
            .Buffer(y.Buffer).Long(y.Offset));
    }
}
