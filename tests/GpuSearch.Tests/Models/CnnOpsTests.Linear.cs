// Cases of kernels/linear.cl (FusedMatMul, and Gemm with a constant B and a per-column bias): sizes that are no
// tile multiple, K within one CPU K tile and deeper than the panel, every epilogue part alone and together, and the GPU tile form
// (many work-items per group) run on whatever device is here.
using GpuSearch.Compute;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    private static IEnumerable<string> LinearCases() =>
    [
        "linear bias res None", "linear bias - Gelu", "linear bias - GeluTanh", "linear - res Relu", "linear - - None",
        "linear bias res Gelu gpu-tiles", "linear bias res None deep-k", "linear bias res Gelu tall",
    ];

    private static void RunLinear(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        // K = 300 fits one CPU K tile; 1300 is deeper than the panel (accumulators in local memory between tiles); "tall":
        // a shallow K over many rows, which CPUs cover with up to 192-row groups per packed panel (three and a part here).
        bool tall = name.EndsWith("tall", StringComparison.Ordinal);
        int seed = Seed(name), m = tall ? 403 : 37, n = 70, k = name.EndsWith("deep-k", StringComparison.Ordinal) ? 1300 : tall ? 96 : 300;
        bool hasBias = p[1] == "bias", hasRes = p[2] == "res";
        string act = p[3];
        var x = Random(seed, m * k);
        var w = Random(seed + 1, k * n);
        var b = Random(seed + 2, n);
        var r = Random(seed + 3, m * n);
        using var xb = Upload(d, x);
        using var wb = Upload(d, w);
        using var bb = Upload(d, b);
        using var rb = Upload(d, r);
        using var y = new GuardedBuffer(d, m * n);
        var kind = act switch { "None" => ActivationKind.None, "Relu" => ActivationKind.Relu, "Gelu" => ActivationKind.Gelu, _ => ActivationKind.GeluTanh };
        var tiles = name.EndsWith("gpu-tiles", StringComparison.Ordinal) ? ConvTiles.Gpu : null;
        Linear.Run(d.Stream, m, n, k, new DeviceTensor(xb, 0, [m, k]), new DeviceTensor(wb, 0, [k, n]),
            hasBias ? new DeviceTensor(bb, 0, [n]) : null, hasRes ? new DeviceTensor(rb, 0, [m, n]) : null,
            new DeviceTensor(y.Buffer, y.Offset, [m, n]), Activation.Of(kind), tiles);
        var want = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int q = 0; q < k; q++) acc += (double)x[i * k + q] * w[q * n + j];
                if (hasBias) acc += b[j];
                if (hasRes) acc += r[i * n + j];
                want[i * n + j] = FusedOps.Apply(act, (float)acc, 0, 0);
            }
        // fp32 rounding grows with the length of the sum: the bound scales with K (1e-5 at K = 300).
        AssertClose(want, y.DownloadPayload<float>(d.Stream), 1e-5, 1e-5 * k / 300, name);
    }
}
