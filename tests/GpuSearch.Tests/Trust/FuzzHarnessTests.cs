// The bounded CI run of tools/fuzz: 200 mutated images and 200 mutated ONNX models, fixed seed; no case may
// crash, hang past its limit or throw anything but the documented exception type.
using GpuSearch.Fuzz;
using GpuSearch.Tests.Models.Support;
using Xunit.Abstractions;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Trust;

public sealed class FuzzHarnessTests(ITestOutputHelper log)
{
    private const int Cases = 200, Seed = 20261202;
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);

    private static void AssertNoFindings(FuzzSummary s)
    {
        Assert.Equal(Cases, s.Accepted + s.Refused + s.Findings.Count);
        Assert.True(s.Findings.Count == 0, string.Join("\n", s.Findings.Select(f => $"{s.Target} seed {s.Seed} case {f.Case}: {f.What}")));
        Assert.True(s.Refused > 0, "the mutator never broke an input: it is not mutating");
    }

    [Fact]
    public void Mutated_images_decode_or_fail_with_ImageDecodeException()
    {
        var dir = Path.Combine(Support.SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "decode", "generated");
        var seeds = Directory.GetFiles(dir).Where(f => !f.EndsWith(".json")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var s = FuzzHarness.Run(FuzzTarget.Images, seeds, Cases, Seed, PerCase, Environment.ProcessorCount);
        log.WriteLine(s.ToString());
        AssertNoFindings(s);
    }

    [Fact]
    public void Mutated_models_load_or_fail_with_the_documented_types()
    {
        byte[][] seeds =
        [
            new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y").Init("w", [4, 3, 3, 3], Random(108, 1)).Init("b", [4], Random(4, 2))
                .Node("Conv", ["x", "w", "b"], ["c"], "conv", A(("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 })))
                .Node("MaxPool", ["c"], ["p"], attrs: A(("kernel_shape", new long[] { 2, 2 }), ("ceil_mode", 1L)))
                .Node("GlobalAveragePool", ["p"], ["g"]).Node("Flatten", ["g"], ["y"]).ToBytes(),
            new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y").Init("scales", [4], [1f, 1f, 2f, 2f])
                .Init(TestTensor.Longs("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]))
                .Node("Resize", ["x", "", "scales"], ["r"], "up", A(("mode", "linear")))
                .Node("Pad", ["r", "pads"], ["y"], "pad").ToBytes(),
            new OnnxTestWriter().Input("x", "N", 6).Output("y").Init("w", [6, 4], Random(24, 3)).Init("c", [4], Random(4, 4))
                .Node("Gemm", ["x", "w", "c"], ["h"], "fc", A(("transB", 0L))).Node("Softmax", ["h"], ["y"]).ToBytes(),
        ];
        var s = FuzzHarness.Run(FuzzTarget.Models, seeds, Cases, Seed, PerCase, Environment.ProcessorCount);
        log.WriteLine(s.ToString());
        AssertNoFindings(s);
    }
}
