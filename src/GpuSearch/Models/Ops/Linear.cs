// Host side of kernels/linear.cl: a Linear layer (constant K×N weights) with its bias, residual and activation
// in the epilogue. The tiles are the device's conv tiles (tuned by `gpusearch tune` for the 1×1-conv GEMM,
// which has the same shape of work); on a CPU the K tile is deepened so each W panel is packed once per group.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary><c>Y[m×n] = act(X[m×k]·W[k×n] + bias[n] + R[m×n])</c>, row-major fp32. Offsets are in elements.</summary>
internal static class Linear
{
    /// <summary>Rows a CPU work-group computes per packed W panel when K fits one panel.</summary>
    private const int ShallowRows = 192;

    /// <summary>
    /// Enqueues the product on <paramref name="stream"/>; <paramref name="bias"/> and <paramref name="residual"/> are optional.
    /// <paramref name="batch"/> &gt; 1: x, w, y (and the residual) hold that many contiguous matrices, multiplied pairwise in one launch.
    /// </summary>
    public static void Run(ComputeStream stream, int m, int n, int k, DeviceTensor x, DeviceTensor w, DeviceTensor? bias,
        DeviceTensor? residual, DeviceTensor y, Activation activation = default, ConvTiles? tiles = null, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("linear dims", m, n, k, batch);
        activation.Validate();
        x.Require(nameof(x), (long)batch * m * k, TensorStorage.F32);
        w.Require(nameof(w), (long)batch * k * n, TensorStorage.F32);
        bias?.Require(nameof(bias), n, TensorStorage.F32);
        residual?.Require(nameof(residual), (long)batch * m * n, TensorStorage.F32);
        y.Require(nameof(y), (long)batch * m * n, TensorStorage.F32);
        var t = tiles ?? ConvTiles.For(stream.Device.Info);
        t.Validate();
        int subs = t.SubBlocksM, tileK = t.TileK, subHeight = t.TileM / t.SubBlocksM;
        bool accLocal = false;
        if (t.ThreadsM * t.ThreadsN == 1)
        {
            // One work-item per group (CPU): deepen the K tile to the whole K, up to the panel depth and what local
            // memory holds, so each W panel is packed once per group; a deeper K keeps the sub-blocks' accumulators
            // in local memory. Measured on PoCL (AVX-512): K tiles of 64 ran at 40 % of the whole-K form.
            long perRow = (t.TileM / subs + t.TileN) * 4L, accBytes = (long)Math.Max(t.TileM, t.DeepTileM) * t.TileN * 4;
            int cap = (int)Math.Min(t.PanelDepth, (stream.Device.Info.LocalMemoryBytes - 8192 - accBytes) / perRow / 64 * 64);
            if (k > tileK && cap > tileK) tileK = (int)Math.Min(OpCheck.RoundUp(k, 64), cap);
            accLocal = k > tileK && subs > 1;
            // Then each packed panel serves more rows (conv.cl's deep tile): the packing, not the FMAs, dominates.
            if (accLocal && t.DeepTileM > t.TileM) subs = t.DeepTileM / subHeight;
            // A shallow K (the whole of it in one packed panel) gives each panel little work: let it serve up to
            // ShallowRows rows. Swin-T's MLPs and QKV (K = 96, 192) at batch 8: 409 -> 293 ms on PoCL (AVX-512);
            // 384 rows were slower again (324 ms).
            if (!accLocal) subs = Math.Clamp((m + subHeight - 1) / subHeight, subs, Math.Max(subs, ShallowRows / subHeight));
        }
        else subs = 1; // many work-items per group (GPUs): one sub-block, the accumulators in registers
        int tileM = subHeight * subs;
        int threadsM = tileM / subs / t.WorkPerThreadM, threadsN = t.TileN / t.WorkPerThreadN;
        var defines = new KernelDefines().Set("ACT", (int)activation.Kind)
            .Set("HAS_BIAS", bias is null ? 0 : 1).Set("HAS_RES", residual is null ? 0 : 1)
            .Set("TILE_M", tileM).Set("TILE_N", t.TileN).Set("TILE_K", tileK)
            .Set("WPT_M", t.WorkPerThreadM).Set("WPT_N", t.WorkPerThreadN).Set("SUBS", subs).Set("ACC_LOCAL", accLocal ? 1 : 0);
        var kernel = stream.Device.GetKernel("linear.cl", "linear_f32", defines);
        var args = new KernelArgs().Int(m).Int(n).Int(k)
            .Buffer(x.Buffer).Long(x.Offset).Buffer(w.Buffer).Long(w.Offset)
            .Buffer(bias?.Buffer ?? y.Buffer).Long(bias?.Offset ?? 0)
            .Buffer(residual?.Buffer ?? y.Buffer).Long(residual?.Offset ?? 0)
            .Buffer(y.Buffer).Long(y.Offset).Float(activation.Alpha).Float(activation.Beta)
            .Long((long)m * k).Long((long)k * n).Long((long)m * n);
        long groupsM = (m + tileM - 1) / tileM, groupsN = (n + t.TileN - 1) / t.TileN;
        stream.Launch(kernel, [groupsM * threadsN, groupsN * threadsM, batch], [threadsN, threadsM, 1], args);
    }
}
