// ONNX Gemm and MatMul. Plain products (no transposes) run on the conv kernel's 1×1 GEMM path, which is
// tuned for CPUs and has the fused epilogue; the general Gemm (transposes, alpha, broadcast C) runs on
// Compute.Ops.Gemm with C expanded into the output first. MatMul's batch dims broadcast numpy-style.
using GpuSearch.Compute;
using GpuSearch.Compute.Ops;

namespace GpuSearch.Models.Ops;

/// <summary>Matrix products on fp32 tensors. Offsets are in elements.</summary>
internal static class MatMul
{
    /// <summary>ONNX Gemm: <c>Y = alpha·op(A)·op(B) + beta·C</c>, C (if any) broadcastable to [M, N].</summary>
    public static void Gemm(ComputeStream stream, int m, int n, int k, bool transA, bool transB, float alpha, float beta,
        DeviceBuffer a, long aOffset, DeviceBuffer b, long bOffset, (int[] Shape, DeviceBuffer Buffer, long Offset)? c,
        DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Range(y, yOffset, (long)m * n, nameof(y));
        if (c is { } cc && beta != 0f)
        {
            Layout.Expand(stream, new DeviceTensor(cc.Buffer, cc.Offset, cc.Shape), new DeviceTensor(y, yOffset, [m, n]));
            Compute.Ops.Gemm.Run(stream, m, n, k, a, b, y, alpha, beta, transA, transB, aOffset, bOffset, yOffset, allowTensorCores: true);
        }
        else Compute.Ops.Gemm.Run(stream, m, n, k, a, b, y, alpha, 0f, transA, transB, aOffset, bOffset, yOffset, allowTensorCores: true);
    }

    /// <summary>
    /// <c>Y[m×n] = act(A[m×k]·B[k×n] + R)</c>, row-major, on the conv kernel's 1×1 GEMM path (A in the weight
    /// role, B as a one-image k×1×n input); R (optional) has Y's shape.
    /// </summary>
    public static void Product(ComputeStream stream, int m, int n, int k, DeviceBuffer a, long aOffset, DeviceBuffer b, long bOffset,
        DeviceBuffer? residual, long rOffset, DeviceBuffer y, long yOffset, Activation activation = default, ConvTiles? tiles = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OpCheck.Positive("matmul dims", m, n, k);
        if (TensorCores.UseFor(stream.Device))
        {
            ProductTensorCores(stream, m, n, k, a, aOffset, b, bOffset, residual, rOffset, y, yOffset, activation);
            return;
        }
        var shape = new Conv2dShape(1, k, 1, n, m, 1, 1);
        Conv2d.Run(stream, shape, new DeviceTensor(b, bOffset, [1, k, 1, n]), new DeviceTensor(a, aOffset, [m, k, 1, 1]), null,
            residual is null ? null : new DeviceTensor(residual, rOffset, [1, m, 1, n]), new DeviceTensor(y, yOffset, [1, m, 1, n]), activation,
            new ConvOptions(ConvAlgorithm.Pointwise, tiles));
    }

    /// <summary>
    /// <see cref="Product"/> on the opt-in tensor-core kernel (gemm.cl product_tc, <see cref="TensorCores"/>): fp16-rounded
    /// A and B, fp32 accumulation, the same fused residual and activation. The conv tiles do not apply to it.
    /// </summary>
    private static void ProductTensorCores(ComputeStream stream, int m, int n, int k, DeviceBuffer a, long aOffset, DeviceBuffer b, long bOffset,
        DeviceBuffer? residual, long rOffset, DeviceBuffer y, long yOffset, Activation activation)
    {
        OpCheck.Range(a, aOffset, (long)m * k, nameof(a));
        OpCheck.Range(b, bOffset, (long)k * n, nameof(b));
        OpCheck.Range(y, yOffset, (long)m * n, nameof(y));
        if (residual is not null) OpCheck.Range(residual, rOffset, (long)m * n, nameof(residual));
        var defines = new KernelDefines().Set("TC", 1).Set("ACT", (int)activation.Kind).Set("HAS_RES", residual is null ? 0 : 1);
        var kernel = stream.Device.GetKernel("gemm.cl", "product_tc", defines);
        const int block = Compute.Ops.Gemm.TensorCoreBlock;
        stream.Launch(kernel, [(long)(n + block - 1) / block * 128, (m + block - 1) / block], [128, 1],
            new KernelArgs().Int(m).Int(n).Int(k).Buffer(a).Long(aOffset).Buffer(b).Long(bOffset)
                .Buffer(residual ?? y).Long(residual is null ? yOffset : rOffset).Buffer(y).Long(yOffset)
                .Float(activation.Alpha).Float(activation.Beta));
    }

    /// <summary>numpy matmul's output shape (1-D operands promoted and their axis removed again).</summary>
    public static int[] OutputShape(int[] aShape, int[] bShape)
    {
        var (a, b, batch) = Normalize(aShape, bShape);
        var r = batch.ToList();
        if (aShape.Length > 1) r.Add(a[^2]);
        if (bShape.Length > 1) r.Add(b[^1]);
        return r.ToArray();
    }

    private static (int[] A, int[] B, int[] Batch) Normalize(int[] aShape, int[] bShape)
    {
        ArgumentNullException.ThrowIfNull(aShape);
        ArgumentNullException.ThrowIfNull(bShape);
        if (aShape.Length == 0 || bShape.Length == 0) throw new ArgumentException("MatMul operands must have at least one axis");
        var a = aShape.Length == 1 ? new[] { 1, aShape[0] } : aShape;
        var b = bShape.Length == 1 ? new[] { bShape[0], 1 } : bShape;
        if (a[^1] != b[^2]) throw new ArgumentException($"MatMul: inner dims differ ([{string.Join(",", aShape)}] × [{string.Join(",", bShape)}])");
        var batch = Broadcast.OutputShape(a[..^2], b[..^2]);
        return (a, b, batch);
    }

    /// <summary>numpy matmul of A and B into y (shape <see cref="OutputShape"/>).</summary>
    public static void Run(ComputeStream stream, int[] aShape, DeviceBuffer a, long aOffset, int[] bShape, DeviceBuffer b, long bOffset,
        DeviceBuffer y, long yOffset)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (sa, sb, batch) = Normalize(aShape, bShape);
        int m = sa[^2], k = sa[^1], n = sb[^1];
        OpCheck.Range(a, aOffset, OpCheck.Count(sa), nameof(a));
        OpCheck.Range(b, bOffset, OpCheck.Count(sb), nameof(b));
        long nb = OpCheck.Count(batch);
        OpCheck.Range(y, yOffset, nb * m * n, nameof(y));
        if (nb == 0 || m == 0 || n == 0) return;
        if (sb.Length == 2)
        {
            // B shared by every batch: A's batch folds into its rows, one product.
            Product(stream, (int)OpCheck.Count(sa.AsSpan(0, sa.Length - 1)), n, k, a, aOffset, b, bOffset, null, 0, y, yOffset);
            return;
        }
        var aStrides = Broadcast.StridesFor(sa[..^2], batch, nameof(aShape));
        var bStrides = Broadcast.StridesFor(sb[..^2], batch, nameof(bShape));
        if (stream.Device.Info.IsCpu && nb > 1 && aStrides.SequenceEqual(bStrides) && bStrides.SequenceEqual(StridedIndex.Contiguous(batch))
            && nb * Math.Max((long)m * k, Math.Max((long)k * n, (long)m * n)) <= int.MaxValue)
        {
            // CPUs, both operands with the whole batch (attention's unfused products: Swin's windows × heads): one
            // launch of linear.cl over the batch instead of a launch per matrix, each of which costs more than its FMAs.
            Linear.Run(stream, m, n, k, DeviceTensor.Flat(a, aOffset, nb * m * k), DeviceTensor.Flat(b, bOffset, nb * k * n), null, null,
                DeviceTensor.Flat(y, yOffset, nb * m * n), batch: checked((int)nb));
            return;
        }
        var idx = new int[batch.Length];
        for (long t = 0; t < nb; t++)
        {
            long ao = 0, bo = 0;
            for (int i = 0; i < batch.Length; i++) { ao += idx[i] * aStrides[i]; bo += idx[i] * bStrides[i]; }
            Product(stream, m, n, k, a, aOffset + ao * m * k, b, bOffset + bo * k * n, null, 0, y, yOffset + t * m * n);
            for (int i = batch.Length - 1; i >= 0; i--) { if (++idx[i] < batch[i]) break; idx[i] = 0; }
        }
    }
}
