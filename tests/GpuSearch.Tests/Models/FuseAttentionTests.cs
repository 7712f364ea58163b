// Optimizer/FuseAttention: MatMul → Div/Mul scale → Softmax(last axis) → MatMul becomes one FusedAttention,
// whose kernel must give what the unfused MatMul/Softmax/MatMul path gives on the same device; a Softmax on
// another axis, or a score used twice, stays unfused.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Models.Optimizer;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public sealed class FuseAttentionTests
{
    private const int L = 70, D = 24, DV = 20; // 70 keys: two key tiles in the kernel

    private static OnnxTestWriter SelfAttention(long softmaxAxis = -1, string scaleOp = "Div", bool scoreAlsoOutput = false)
    {
        var w = new OnnxTestWriter { Opset = 17 }.Input("x", "N", L, 16).Output("y")
            .Init("wq", [16, D], OptimizerTestKit.Random(16 * D, 1)).Init("wk", [16, D], OptimizerTestKit.Random(16 * D, 2))
            .Init("wv", [16, DV], OptimizerTestKit.Random(16 * DV, 3)).Init("c", [], [scaleOp == "Div" ? 2.5f : 0.4f])
            .Node("MatMul", ["x", "wq"], ["q"]).Node("MatMul", ["x", "wk"], ["k"]).Node("MatMul", ["x", "wv"], ["v"])
            .Node("Transpose", ["k"], ["kt"], attrs: A(("perm", new long[] { 0, 2, 1 })))
            .Node("MatMul", ["q", "kt"], ["s"], "scores").Node(scaleOp, ["s", "c"], ["ss"])
            .Node("Softmax", ["ss"], ["p"], "softmax", A(("axis", softmaxAxis)))
            .Node("MatMul", ["p", "v"], ["y"], "weighted");
        if (scoreAlsoOutput) w.Output("s");
        return w;
    }

    private static float[] Run(ModelGraph g, float[] x)
    {
        using var s = new InferenceSession(g, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        return s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, [2, L, 16]) })["y"].Data;
    }

    [Theory]
    [InlineData("Div")]
    [InlineData("Mul")]
    public void FusedKernelMatchesTheUnfusedPath(string scaleOp)
    {
        var bytes = SelfAttention(scaleOp: scaleOp).ToBytes();
        var fused = ModelLoader.Prepare(OnnxImporter.LoadBytes(bytes)).Graph;
        var node = Assert.Single(fused.Nodes, n => n.OpType == FusedOps.FusedAttention);
        Assert.Equal(scaleOp == "Div" ? 1 / 2.5f : 0.4f, node.GetFloat("scale", 0), 6);
        Assert.Equal(0, Count(fused, "Softmax"));
        // K's Transpose is read through (perm_b), not materialised.
        Assert.Equal(new long[] { 0, 2, 1 }, node.GetInts("perm_b"));
        Assert.Equal(0, Count(fused, "Transpose"));

        var plain = OnnxImporter.LoadBytes(bytes);
        ModelValidator.Validate(plain);
        new GraphOptimizer(GraphOptimizer.DefaultRules().Where(r => r is not FuseAttention)).Run(plain);
        Assert.Equal(1, Count(plain, "Softmax"));

        var x = OptimizerTestKit.Random(2 * L * 16, 7, 2);
        var want = Run(plain, x);
        var got = Run(fused, x);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.Abs(want[i]), $"y[{i}]: unfused {want[i]}, fused {got[i]}");
        Assert.True(want.Max() - want.Min() > 0.1, "attention output is flat: the comparison could not fail");
    }

    [Fact]
    public void SoftmaxOnAnotherAxisOrAScoreUsedElsewhereStaysUnfused()
    {
        var otherAxis = ModelLoader.Prepare(OnnxImporter.LoadBytes(SelfAttention(softmaxAxis: 1).ToBytes())).Graph;
        Assert.Equal(0, Count(otherAxis, FusedOps.FusedAttention));
        var shared = ModelLoader.Prepare(OnnxImporter.LoadBytes(SelfAttention(scoreAlsoOutput: true).ToBytes())).Graph;
        Assert.Equal(0, Count(shared, FusedOps.FusedAttention));
    }
}
