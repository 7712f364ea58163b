// CNN op suite in the backend-ops style: every conv/pool/broadcast/normalisation/layout/matmul/resize kernel
// on every device against the scalar references in CnnReference, with guard regions around outputs,
// odd sizes that are not tile multiples and fixed seeds. One test per (device, case).
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    public static IEnumerable<string> CaseNames() =>
        ConvCases().Concat(PoolCases()).Concat(EltwiseCases()).Concat(NormCases()).Concat(LayoutCases()).Concat(MatMulCases()).Concat(ResizeCases());

    public static TheoryData<string, string> OpenClCases() => OpCases.For(Devices.OpenClIds, CaseNames());

    public static TheoryData<string, string> CudaCases() => OpCases.For(Devices.CudaIds, CaseNames());

    [Theory]
    [MemberData(nameof(OpenClCases))]
    [Trait("Backend", "OpenCL")]
    public void OpenCl(string device, string op) => Run(Devices.Get(device), op);

    [CudaTheory]
    [MemberData(nameof(CudaCases))]
    [Trait("Backend", "CUDA")]
    public void Cuda(string device, string op) => Run(Devices.Get(device), op);

    private static void Run(ComputeDevice d, string name)
    {
        var family = name[..name.IndexOf(' ')];
        switch (family)
        {
            case "conv": RunConv(d, name); break;
            case "pool": RunPool(d, name); break;
            case "binary" or "unary": RunEltwise(d, name); break;
            case "softmax" or "layernorm" or "batchnorm" or "reduce": RunNorm(d, name); break;
            case "transpose" or "slice" or "concat" or "pad" or "expand": RunLayout(d, name); break;
            case "gemm" or "matmul": RunMatMul(d, name); break;
            case "resize": RunResize(d, name); break;
            default: throw new ArgumentException($"unknown case {name}");
        }
    }

    // ---- shared helpers ----

    /// <summary>A seed from the case name that is stable across runs (string.GetHashCode is randomised per process).</summary>
    internal static int Seed(string name)
    {
        int h = 17;
        foreach (var c in name) h = unchecked(h * 31 + c);
        return h & 0x7fffffff;
    }

    internal static float[] Random(int seed, long n, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    internal static DeviceBuffer Upload(ComputeDevice d, float[] data)
    {
        var b = d.Allocate(Math.Max(4, data.Length * 4L));
        d.Stream.Upload<float>(b, data);
        return b;
    }

    internal static DeviceBuffer UploadHalf(ComputeDevice d, float[] data)
    {
        var h = data.Select(v => (Half)v).ToArray();
        var b = d.Allocate(Math.Max(4, (h.Length * 2L + 3) / 4 * 4));
        d.Stream.Upload<Half>(b, h);
        return b;
    }

    internal static void AssertClose(double[] want, float[] got, double rtol, double atol, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (long i = 0; i < want.Length; i++)
        {
            double e = want[i], g = got[i];
            if (double.IsNaN(e) && double.IsNaN(g)) continue;
            if (e == g) continue;
            var bound = atol + rtol * Math.Abs(e);
            Assert.True(Math.Abs(e - g) <= bound, $"{what} [{i}]: expected {e:R}, got {g:R} (|err| {Math.Abs(e - g):G3} > {bound:G3})");
        }
    }
}
