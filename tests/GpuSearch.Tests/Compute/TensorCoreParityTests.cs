// The opt-in tensor-core variants (TensorCores, TC=1) against the portable kernels on the same CUDA device, in one
// process: each case runs once with the variant off and once on. Small-integer data keeps every fp16 input, product
// and fp32 partial sum exact, so there the two paths must agree bit for bit (a wrong fragment layout, a missed
// edge or a mis-strided load changes the result); random data checks the fp16 rounding stays within its bound.
// CI has no GPU: these skip there with the reason, and bench/gpu/run.sh's CUDA-trait step runs them.
using GpuSearch.Compute;
using GpuSearch.Compute.Cuda;
using GpuSearch.Compute.Ops;
using GpuSearch.Models.Ops;
using GpuSearch.Search;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "CUDA")]
public sealed class TensorCoreParityTests(ITestOutputHelper output)
{
    private static float[] Ints(int seed, long n, int lo, int hi)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = rng.Next(lo, hi + 1);
        return a;
    }

    private static T Both<T>(bool tensorCores, Func<T> run)
    {
        using (TensorCores.Override(tensorCores)) return run();
    }

    private static float[] RunGemm(ComputeDevice d, int m, int n, int k, bool ta, bool tb, float[] a, float[] b, float[] c0, float beta)
    {
        using var ab = CnnOpsTests.Upload(d, a);
        using var bb = CnnOpsTests.Upload(d, b);
        using var c = new GuardedBuffer(d, (long)m * n);
        c.Upload<float>(d.Stream, c0);
        Gemm.Run(d.Stream, m, n, k, ab, bb, c.Buffer, alpha: 0.5f, beta: beta, transA: ta, transB: tb, cOffset: c.Offset, allowTensorCores: true);
        return c.DownloadPayload<float>(d.Stream);
    }

    [TensorCoreTheory]
    [InlineData(1, 1, 1, false, false)]
    [InlineData(65, 129, 17, false, false)]
    [InlineData(33, 7, 1000, false, true)]
    [InlineData(128, 64, 256, true, false)]
    [InlineData(100, 200, 45, true, true)]
    public void GemmMatchesPortable(int m, int n, int k, bool ta, bool tb)
    {
        using var d = CudaTestDevice.Open();
        Assert.True(TensorCores.Supported(d));
        // Exact: |a|, |b| ≤ 4 and k ≤ 1000 keep every partial sum an integer below 2^24.
        var a = Ints(1, (long)m * k, -4, 4);
        var b = Ints(2, (long)k * n, -4, 4);
        var c0 = Ints(3, (long)m * n, -8, 8);
        var portable = Both(false, () => RunGemm(d, m, n, k, ta, tb, a, b, c0, 0.25f));
        var tc = Both(true, () => RunGemm(d, m, n, k, ta, tb, a, b, c0, 0.25f));
        for (int i = 0; i < portable.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(portable[i]) == BitConverter.SingleToInt32Bits(tc[i]),
                $"gemm {m}x{n}x{k} {(ta ? "T" : "N")}{(tb ? "T" : "N")}: C[{i / n},{i % n}] portable {portable[i]:R}, tensor cores {tc[i]:R}");
        // Random: each input rounds to fp16 (relative 2^-11), so |error| ≤ ~2^-10 · Σ|a||b| · alpha.
        var ar = CnnOpsTests.Random(4, (long)m * k);
        var br = CnnOpsTests.Random(5, (long)k * n);
        var zero = new float[(long)m * n];
        var want = Both(false, () => RunGemm(d, m, n, k, ta, tb, ar, br, zero, 0f));
        var got = Both(true, () => RunGemm(d, m, n, k, ta, tb, ar, br, zero, 0f));
        double worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(want[i] - got[i]));
        output.WriteLine($"random inputs: max |portable - tensor cores| = {worst:G3} (bound {0.5 * k * 2e-3:G3})");
        Assert.True(worst <= 0.5 * k * 2e-3, $"max difference {worst} exceeds the fp16 rounding bound");
    }

    private static float[] RunProduct(ComputeDevice d, int m, int n, int k, float[] a, float[] b, float[]? r, Activation act)
    {
        using var ab = CnnOpsTests.Upload(d, a);
        using var bb = CnnOpsTests.Upload(d, b);
        using var rb = r is null ? null : CnnOpsTests.Upload(d, r);
        using var y = new GuardedBuffer(d, (long)m * n);
        MatMul.Product(d.Stream, m, n, k, ab, 0, bb, 0, rb, 0, y.Buffer, y.Offset, act);
        return y.DownloadPayload<float>(d.Stream);
    }

    [TensorCoreTheory]
    [InlineData(197, 768, 64, true, (int)ActivationKind.Relu)]  // a ViT-like linear layer, residual and activation fused
    [InlineData(5, 33, 70, false, (int)ActivationKind.None)]
    [InlineData(130, 3, 300, true, (int)ActivationKind.None)]
    public void ProductMatchesPortable(int m, int n, int k, bool residual, int activation)
    {
        var kind = (ActivationKind)activation;
        using var d = CudaTestDevice.Open();
        // Exact on small integers (as GemmMatchesPortable): the conv kernel's 1×1 path and product_tc must agree bit for bit.
        var a = Ints(31, (long)m * k, -4, 4);
        var b = Ints(32, (long)k * n, -4, 4);
        var r = residual ? Ints(33, (long)m * n, -50, 50) : null;
        var act = new Activation(kind);
        var portable = Both(false, () => RunProduct(d, m, n, k, a, b, r, act));
        var tc = Both(true, () => RunProduct(d, m, n, k, a, b, r, act));
        for (int i = 0; i < portable.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(portable[i]) == BitConverter.SingleToInt32Bits(tc[i]),
                $"product {m}x{n}x{k} {kind}{(residual ? " +R" : "")}: Y[{i / n},{i % n}] portable {portable[i]:R}, tensor cores {tc[i]:R}");
    }

    private static float[] RunAttention(ComputeDevice d, int batch, int l, int s, int k, int dv, bool kt, float[] a, float[] b, float[] v)
    {
        using var ab = CnnOpsTests.Upload(d, a);
        using var bb = CnnOpsTests.Upload(d, b);
        using var vb = CnnOpsTests.Upload(d, v);
        using var y = new GuardedBuffer(d, (long)batch * l * dv);
        Attention.Run(d.Stream, batch, l, s, k, dv, 0.37f, DeviceTensor.Flat(ab, 0, a.Length), false, DeviceTensor.Flat(bb, 0, b.Length),
            (long)k * s, kt ? 1 : s, kt ? k : 1, DeviceTensor.Flat(vb, 0, v.Length), false, DeviceTensor.Flat(y.Buffer, y.Offset, (long)batch * l * dv));
        return y.DownloadPayload<float>(d.Stream);
    }

    [TensorCoreTheory]
    [InlineData(2, 197, 197, 64, 64, false)] // ViT-B/16: 197 tokens, head width 64
    [InlineData(3, 49, 49, 32, 32, true)]    // Swin-T window: 49 tokens, head width 32, K read untransposed
    [InlineData(2, 5, 70, 20, 7, false)]     // edges: L < 16, S past one 64-key step, D and DV not multiples of 16/8
    [InlineData(1, 17, 130, 128, 128, true)] // the largest D and DV the variant takes
    public void AttentionMatchesPortable(int batch, int l, int s, int k, int dv, bool kt)
    {
        using var d = CudaTestDevice.Open();
        var a = CnnOpsTests.Random(11, (long)batch * l * k);
        var b = CnnOpsTests.Random(12, (long)batch * k * s);
        var v = CnnOpsTests.Random(13, (long)batch * s * dv);
        var portable = Both(false, () => RunAttention(d, batch, l, s, k, dv, kt, a, b, v));
        var tc = Both(true, () => RunAttention(d, batch, l, s, k, dv, kt, a, b, v));
        double worst = 0;
        for (int i = 0; i < portable.Length; i++) worst = Math.Max(worst, Math.Abs(portable[i] - tc[i]));
        // Outputs are weighted means of V in [-1, 1]; fp16 Q, K (scores off by ~0.37·D·2^-10), P and V move them
        // by well under 1e-2 at these sizes. A wrong fragment or mask moves them by ~0.1 or more.
        output.WriteLine($"attention b{batch} L{l} S{s} D{k} DV{dv}{(kt ? " kt" : "")}: max |portable - tensor cores| = {worst:G3}");
        Assert.True(worst < 1e-2, $"max difference {worst}");
        Assert.All(tc, x => Assert.True(float.IsFinite(x)));
    }

    private static SearchResult Search(ComputeDevice d, int dim, float[] db, float[] queries, int k, Metric metric)
    {
        using var index = new FlatIndex(d, dim, VectorStorage.Fp16);
        index.Add(db, Enumerable.Range(0, db.Length / dim).Select(i => (long)i * 3 + 1).ToArray());
        return index.Search(queries, k, metric);
    }

    [TensorCoreTheory]
    [InlineData(16, 10, 100)]   // fused scan, one 16-query tile; d not a multiple of 16
    [InlineData(64, 10, 512)]   // the batch query tile
    [InlineData(16, 1000, 64)]  // large k: scan_scores + select
    public void ScanMatchesPortable(int nq, int k, int dim)
    {
        using var d = CudaTestDevice.Open();
        const int n = 5000; // not a multiple of the 64-row tile
        // Exact: |x| ≤ 8 (fp16-exact), |q| ≤ 8, dim ≤ 512: every partial sum is an integer below 2^24, so the
        // tensor-core order of summation gives the same scores, and the same ids through the same tie rule.
        var db = Ints(21, (long)n * dim, -8, 8);
        var q = Ints(22, (long)nq * dim, -8, 8);
        foreach (var metric in new[] { Metric.Ip, Metric.L2 })
        {
            var portable = Both(false, () => Search(d, dim, db, q, k, metric));
            var tc = Both(true, () => Search(d, dim, db, q, k, metric));
            for (int i = 0; i < nq; i++)
            {
                Assert.Equal(portable.IdsOf(i).ToArray(), tc.IdsOf(i).ToArray());
                Assert.Equal(portable.ScoresOf(i).ToArray(), tc.ScoresOf(i).ToArray());
            }
        }
        // Random unit-scale data: the query's hi+lo split keeps ~22 bits, so scores agree to ~1e-6 relative.
        var dbr = CnnOpsTests.Random(23, (long)n * dim);
        var qr = CnnOpsTests.Random(24, (long)nq * dim);
        var pr = Both(false, () => Search(d, dim, dbr, qr, k, Metric.Ip));
        var tr = Both(true, () => Search(d, dim, dbr, qr, k, Metric.Ip));
        int same = 0;
        double worst = 0;
        for (int i = 0; i < nq; i++)
        {
            same += pr.IdsOf(i).ToArray().Intersect(tr.IdsOf(i).ToArray()).Count();
            for (int j = 0; j < k; j++) worst = Math.Max(worst, Math.Abs(pr.ScoresOf(i)[j] - tr.ScoresOf(i)[j]) / Math.Max(1.0, Math.Abs(pr.ScoresOf(i)[j])));
        }
        output.WriteLine($"random: {same}/{nq * k} ids shared, max relative score difference {worst:G3}");
        Assert.True(worst < 1e-4, $"scores differ by {worst}");
        Assert.True(same >= nq * k * 99 / 100, $"only {same}/{nq * k} ids shared");
    }
}

/// <summary>A theory that runs only on a CUDA device of compute capability 8.0+ (the tensor-core variants' floor).</summary>
public sealed class TensorCoreTheoryAttribute : TheoryAttribute
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        if (Devices.CudaIds.Count == 0) return Devices.CudaSkipReason;
        using var d = CudaTestDevice.Open();
        return TensorCores.Supported(d) ? null
            : $"cuda:0 is compute capability {d.Props.CcMajor}.{d.Props.CcMinor}; the tensor-core variants need 8.0 (mma.sync.m16n8k16 fp16)";
    });

    /// <summary>Sets <see cref="FactAttribute.Skip"/> where the variants cannot run.</summary>
    public TensorCoreTheoryAttribute()
    {
        if (Reason.Value is { } why) Skip = why;
    }
}
