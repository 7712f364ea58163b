// Op suite in the backend-ops style: every op in the registry × every device. Each registered op names the
// kernel cases that cover it (ops sharing a kernel share its cases); each case runs the kernel against the
// scalar references in CnnReference, with guard regions around outputs, odd sizes that are not tile
// multiples and fixed seeds. One test per (device, case). An op added to the registry without cases here
// fails EveryRegisteredOpHasKernelCases.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Registry;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    /// <summary>Every case of every op the registry accepts, once each.</summary>
    public static IEnumerable<string> CaseNames() => OpRegistry.SupportedOps.SelectMany(op => CasesFor(op) ?? []).Distinct();

    /// <summary>Ops the executor runs without a kernel of their own: aliases of their input, or host evaluation.</summary>
    private static readonly HashSet<string> KernelFree =
        ["Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Constant", "Shape", "ConstantOfShape", "Equal", "Greater", "Less", "Not", "Where",
         "Mod", "Range", "ScatterND"];

    /// <summary>The kernel cases covering <paramref name="op"/>; empty when it launches no kernel; null when unknown here.</summary>
    internal static IEnumerable<string>? CasesFor(string op) => op switch
    {
        _ when KernelFree.Contains(op) => [],
        "Conv" or FusedOps.FusedConv => ConvCases(),
        "MaxPool" or "AveragePool" or "GlobalMaxPool" or "GlobalAveragePool" => PoolCases(),
        "Add" or "Sub" or "Mul" or "Div" or "Pow" => EltwiseCases().Where(c => c.StartsWith("binary ", StringComparison.Ordinal)),
        // Unary ops and Cast (RoundToHalf) share the unary kernel; a FusedGemm epilogue runs it after the product too.
        _ when ActivationOps.Simple.Any(a => a.Op == op) || op is "LeakyRelu" or "HardSigmoid" or "Gelu" or "Clip" or "Cast" =>
            EltwiseCases().Where(c => c.StartsWith("unary ", StringComparison.Ordinal)),
        "Softmax" or "LogSoftmax" or "LayerNormalization" or "BatchNormalization" => NormCases().Where(c => !c.StartsWith("reduce ", StringComparison.Ordinal)),
        _ when op.StartsWith("Reduce", StringComparison.Ordinal) => NormCases().Where(c => c.StartsWith("reduce ", StringComparison.Ordinal)),
        "Transpose" or "Concat" or "Slice" or "Pad" or "Expand" or "Gather" => LayoutCases(),
        "Gemm" or FusedOps.FusedGemm => MatMulCases().Concat(LinearCases()), // a per-column bias runs on linear.cl
        "MatMul" => MatMulCases(),
        FusedOps.FusedMatMul => LinearCases(),
        "Resize" => ResizeCases(),
        FusedOps.FusedAttention => AttentionCases(),
        _ => null,
    };

    [Fact]
    public void EveryRegisteredOpHasKernelCases()
    {
        foreach (var op in OpRegistry.SupportedOps)
        {
            var cases = CasesFor(op);
            Assert.True(cases is not null, $"op {op} is registered but has no kernel cases in CnnOpsTests.CasesFor");
            Assert.True(KernelFree.Contains(op) || cases.Any(), $"op {op} launches a kernel but maps to no case");
        }
        // Every case still belongs to some registered op (none is orphaned by a registry change).
        var all = ConvCases().Concat(PoolCases()).Concat(EltwiseCases()).Concat(NormCases()).Concat(LayoutCases()).Concat(MatMulCases()).Concat(LinearCases()).Concat(ResizeCases()).Concat(AttentionCases());
        Assert.Empty(all.Except(CaseNames()));
    }

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
            case "linear": RunLinear(d, name); break;
            case "resize": RunResize(d, name); break;
            case "attention": RunAttention(d, name); break;
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
