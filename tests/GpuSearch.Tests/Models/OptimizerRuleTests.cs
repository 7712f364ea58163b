// One test group per optimizer rule, each on a tiny model built in the test: op counts before/after and a
// numerical comparison of the graph's outputs before and after (naive CPU reference).
using GpuSearch.Models.Graph;
using GpuSearch.Models.Optimizer;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public class OptimizerRuleTests
{
    private static OnnxTestWriter ConvModel(long opset = 13, bool bias = true, long c = 3, long m = 4)
    {
        var w = new OnnxTestWriter { Opset = opset }.Input("x", "N", c, 6, 6).Output("y")
            .Init("w", [m, c, 3, 3], Random((int)(m * c * 9), 1));
        if (bias) w.Init("b", [m], Random((int)m, 2));
        return w.Node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["c"], "conv", A(("pads", new long[] { 1, 1, 1, 1 })));
    }

    [Fact]
    public void RemoveIdentityAndDropoutKeepsTheOutputName()
    {
        var w = new OnnxTestWriter { Opset = 11 }.Input("x", "N", 4).Output("y")
            .Node("Relu", ["x"], ["r"]).Node("Identity", ["r"], ["i"]).Node("Dropout", ["i"], ["y"]);
        var (before, after, stats) = OptimizeAndCompare(w, [2, 4], [new RemoveIdentityAndDropout()]);
        Assert.Equal(3, before.Nodes.Count);
        var n = Assert.Single(after.Nodes);
        Assert.Equal(("Relu", "y"), (n.OpType, n.Outputs[0]));
        Assert.Equal(2, stats["RemoveIdentityAndDropout"]);
    }

    [Fact]
    public void ConstantFoldingEvaluatesConstantSubgraphs()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3).Output("y").Init("a", [3], [1, 2, 3]).Init("b", [1], [0.5f])
            .Node("Constant", [], ["k"], attrs: A(("value", TestTensor.Floats("", [3], [4, 5, 6]))))
            .Node("Mul", ["a", "b"], ["ab"]).Node("Add", ["ab", "k"], ["s"]).Node("Sqrt", ["s"], ["q"]).Node("Mul", ["x", "q"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 3], [new ConstantFolding()]);
        Assert.Equal("Mul", Assert.Single(after.Nodes).OpType);
        Assert.Equal(4, stats["ConstantFolding"]);
        var q = after.ConstantOf(after.Nodes[0].Inputs[1])!.Floats!;
        Assert.Equal([MathF.Sqrt(4.5f), MathF.Sqrt(6f), MathF.Sqrt(7.5f)], q);
    }

    private static OnnxTestWriter TorchFlatten(object batch) => new OnnxTestWriter().Input("x", batch, 4, 3, 3).Output("y")
        .Node("Shape", ["x"], ["s"]).Init(TestTensor.Longs("zero", [], [0])).Node("Gather", ["s", "zero"], ["n"], attrs: A(("axis", 0L)))
        .Init(TestTensor.Longs("ax0", [1], [0])).Node("Unsqueeze", ["n", "ax0"], ["n1"])
        .Init(TestTensor.Longs("m1", [1], [-1])).Node("Concat", ["n1", "m1"], ["shape"], attrs: A(("axis", 0L)))
        .Node("Reshape", ["x", "shape"], ["y"]);

    [Fact]
    public void ConstantFoldingFoldsTheShapeChainWhenTheBatchIsFixed()
    {
        var g = GpuSearch.Models.Onnx.OnnxImporter.LoadBytes(TorchFlatten(2L).ToBytes());
        new GraphOptimizer([new ConstantFolding()]).Run(g);
        var n = Assert.Single(g.Nodes);
        Assert.Equal("Reshape", n.OpType);
        Assert.Equal([2L, -1L], g.ConstantOf(n.Inputs[1])!.Longs!);
    }

    [Fact]
    public void SymbolicBatchFlattenPatternBecomesFlatten()
    {
        // No numeric comparison: the reference runner has no Shape/Gather; Flatten's semantics are plain.
        var after = GpuSearch.Models.Onnx.OnnxImporter.LoadBytes(TorchFlatten("N").ToBytes());
        Assert.Equal(5, after.Nodes.Count);
        var stats = new GraphOptimizer().Run(after);
        var n = Assert.Single(after.Nodes);
        Assert.Equal("Flatten", n.OpType);
        Assert.Equal(1, n.GetInt("axis", 0));
        Assert.Equal("[N,36]", after.Value("y").Shape!.ToString());
        Assert.Equal(1, stats["ReshapeToFlatten"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FoldBatchNormIntoConvMatchesTheReference(bool bias)
    {
        var w = ConvModel(bias: bias).Init("g", [4], Random(4, 3)).Init("be", [4], Random(4, 4))
            .Init("mu", [4], Random(4, 5)).Init("var", [4], Random(4, 6).Select(v => v * v + 0.1f).ToArray())
            .Node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["y"], "bn", A(("epsilon", 1e-3f)));
        var (before, after, stats) = OptimizeAndCompare(w, [2, 3, 6, 6], [new FoldBatchNormIntoConv()]);
        Assert.Equal(1, Count(before, "BatchNormalization"));
        Assert.Equal(0, Count(after, "BatchNormalization"));
        var conv = Assert.Single(after.Nodes);
        Assert.Equal("y", conv.Outputs[0]);
        Assert.True(conv.HasInput(2));
        Assert.Equal(1, stats["FoldBatchNormIntoConv"]);
    }

    public static TheoryData<string, string> Activations => new()
    {
        { "Relu", "Relu" }, { "LeakyRelu", "LeakyRelu" }, { "Clip13", "Clip" }, { "Clip10", "Clip" }, { "Sigmoid", "Sigmoid" },
        { "HardSigmoid", "HardSigmoid" }, { "HardSwish", "HardSwish" }, { "HardSwishGated", "HardSwish" }, { "Tanh", "Tanh" }, { "SiLU", "SiLU" }, { "Gelu", "Gelu" }, { "GeluErf", "Gelu" },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void FuseActivationIntoConv(string kind, string expected)
    {
        long opset = kind switch { "Clip10" => 10, "HardSwish" => 14, "Gelu" => 20, _ => 13 };
        var w = ConvModel(opset);
        switch (kind)
        {
            case "Clip13": w.Init("lo", [], [0f]).Init("hi", [], [6f]).Node("Clip", ["c", "lo", "hi"], ["y"]); break;
            case "Clip10": w.Node("Clip", ["c"], ["y"], attrs: A(("min", 0f), ("max", 6f))); break;
            case "LeakyRelu": w.Node("LeakyRelu", ["c"], ["y"], attrs: A(("alpha", 0.1f))); break;
            case "HardSigmoid": w.Node("HardSigmoid", ["c"], ["y"], attrs: A(("alpha", 0.3f), ("beta", 0.4f))); break;
            case "SiLU": w.Node("Sigmoid", ["c"], ["s"]).Node("Mul", ["s", "c"], ["y"]); break;
            case "HardSwishGated": w.Node("HardSigmoid", ["c"], ["s"], attrs: A(("alpha", 1 / 6f), ("beta", 0.5f))).Node("Mul", ["c", "s"], ["y"]); break;
            case "GeluErf":
                w.Init("r2", [], [MathF.Sqrt(2)]).Init("one", [], [1f]).Init("half", [], [0.5f])
                 .Node("Div", ["c", "r2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["a"])
                 .Node("Mul", ["c", "a"], ["m"]).Node("Mul", ["m", "half"], ["y"]);
                break;
            default: w.Node(kind, ["c"], ["y"]); break;
        }
        var (_, after, stats) = OptimizeAndCompare(w, [2, 3, 6, 6], tol: 2e-4f);
        var conv = Assert.Single(after.Nodes);
        Assert.Equal(FusedOps.FusedConv, conv.OpType);
        Assert.Equal(expected, FusedOps.ActivationOf(conv));
        Assert.Equal("y", conv.Outputs[0]);
        Assert.Equal(1, stats["FuseActivationIntoConv"]);
        if (kind.StartsWith("Clip")) Assert.Equal((0f, 6f), (conv.GetFloat(FusedOps.AlphaAttr, -1), conv.GetFloat(FusedOps.BetaAttr, -1)));
    }

    [Fact]
    public void ResidualAddThenReluFusesIntoOneConv()
    {
        var w = ConvModel(c: 4).Node("Add", ["c", "x"], ["s"]).Node("Relu", ["s"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 4, 6, 6]);
        var conv = Assert.Single(after.Nodes);
        Assert.Equal(FusedOps.FusedConv, conv.OpType);
        Assert.Equal("x", conv.Inputs[FusedOps.ResidualInput]);
        Assert.Equal("Relu", FusedOps.ActivationOf(conv));
        Assert.Equal(1, stats["FuseResidualAddIntoConv"]);
    }

    [Fact]
    public void ReluThenAddDoesNotFuseTheAdd()
    {
        var w = ConvModel(c: 4).Node("Relu", ["c"], ["r"]).Node("Add", ["r", "x"], ["y"]);
        var (_, after, _) = OptimizeAndCompare(w, [2, 4, 6, 6]);
        Assert.Equal(["Add", FusedOps.FusedConv], after.Nodes.Select(n => n.OpType).Order());
        Assert.False(after.Nodes.Single(n => n.OpType == FusedOps.FusedConv).HasInput(FusedOps.ResidualInput));
    }

    [Fact]
    public void ConvWithTwoConsumersIsNotFused()
    {
        var w = ConvModel(c: 4).Node("Add", ["c", "x"], ["s"]).Node("Mul", ["s", "c"], ["y"]);
        var (_, after, _) = OptimizeAndCompare(w, [2, 4, 6, 6]);
        Assert.Equal(3, after.Nodes.Count);
    }

    [Fact]
    public void MatMulAddReluBecomesFusedGemm()
    {
        var w = new OnnxTestWriter().Input("x", "N", 5).Output("y").Init("w", [5, 3], Random(15, 7)).Init("b", [3], Random(3, 8))
            .Node("MatMul", ["x", "w"], ["m"]).Node("Add", ["m", "b"], ["a"]).Node("Relu", ["a"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 5]);
        var n = Assert.Single(after.Nodes);
        Assert.Equal((FusedOps.FusedGemm, "Relu"), (n.OpType, FusedOps.ActivationOf(n)));
        Assert.Equal(1, stats["MatMulAddToGemm"]);
        Assert.Equal(1, stats["FuseActivationIntoGemm"]);
    }

    /// <summary>A transformer MLP on [N, 5, 6]: Linear, activation, Linear, then the residual add of the block input.</summary>
    private static OnnxTestWriter Mlp(string act, long opset = 13)
    {
        var w = new OnnxTestWriter { Opset = opset }.Input("x", "N", 5, 6).Output("y")
            .Init("w1", [6, 8], Random(48, 21)).Init("b1", [8], Random(8, 22)).Init("w2", [8, 6], Random(48, 23)).Init("b2", [6], Random(6, 24))
            .Node("MatMul", ["x", "w1"], ["m1"]).Node("Add", ["b1", "m1"], ["a1"]);
        if (act == "Gelu") w.Node("Gelu", ["a1"], ["h"]);
        else w.Node(act, ["a1"], ["h"]);
        return w.Node("MatMul", ["h", "w2"], ["m2"]).Node("Add", ["m2", "b2"], ["a2"]).Node("Add", ["x", "a2"], ["y"]);
    }

    [Theory]
    [InlineData("Gelu", "Gelu")]
    [InlineData("Relu", "Relu")]
    public void TransformerMlpBecomesTwoFusedMatMuls(string act, string expected)
    {
        var (_, after, stats) = OptimizeAndCompare(Mlp(act, act == "Gelu" ? 20 : 13), [2, 5, 6]);
        Assert.Equal([FusedOps.FusedMatMul, FusedOps.FusedMatMul], after.Nodes.Select(n => n.OpType));
        var (fc1, fc2) = (after.Nodes[0], after.Nodes[1]);
        Assert.Equal((expected, 3), (FusedOps.ActivationOf(fc1), fc1.Inputs.Count)); // bias, no residual
        Assert.Equal(("None", "x"), (FusedOps.ActivationOf(fc2), fc2.Inputs[FusedOps.ResidualInput]));
        Assert.Equal("[N,5,6]", after.Value("y").Shape!.ToString());
        Assert.Equal((2, 1, 1), (stats["MatMulBiasToFusedMatMul"], stats["FuseResidualAddIntoMatMul"], stats["FuseActivationIntoMatMul"]));
    }

    [Theory]
    [InlineData(false)] // torch's nn.GELU(approximate='tanh'): x·(x·x), the 0.5 last
    [InlineData(true)]  // GPT-style: Pow(x, 3), the 0.5 applied to x first
    public void TanhGeluExpansionFusesIntoTheMatMulEpilogue(bool powForm)
    {
        var w = new OnnxTestWriter().Input("x", "N", 5, 6).Output("y").Init("w", [6, 8], Random(48, 51)).Init("b", [8], Random(8, 52))
            .Init("c", [], [MathF.Sqrt(2 / MathF.PI)]).Init("kappa", [], [0.044715f]).Init("one", [], [1f]).Init("half", [], [0.5f]).Init("three", [], [3f])
            .Node("MatMul", ["x", "w"], ["m"]).Node("Add", ["m", "b"], ["h"]);
        if (powForm) w.Node("Pow", ["h", "three"], ["h3"]);
        else w.Node("Mul", ["h", "h"], ["h2"]).Node("Mul", ["h", "h2"], ["h3"]);
        w.Node("Mul", ["kappa", "h3"], ["kh3"]).Node("Add", ["h", "kh3"], ["s"]).Node("Mul", ["c", "s"], ["cs"]).Node("Tanh", ["cs"], ["t"])
            .Node("Add", ["one", "t"], ["t1"]);
        if (powForm) w.Node("Mul", ["half", "h"], ["hh"]).Node("Mul", ["hh", "t1"], ["y"]);
        else w.Node("Mul", ["h", "t1"], ["ht"]).Node("Mul", ["half", "ht"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 5, 6]);
        var n = Assert.Single(after.Nodes);
        Assert.Equal((FusedOps.FusedMatMul, "GeluTanh"), (n.OpType, FusedOps.ActivationOf(n)));
        Assert.Equal(1, stats["FuseGeluTanhPattern"]);
    }

    [Fact]
    public void ActivationBeforeTheResidualKeepsTheAdd()
    {
        // act(x·W + b) + r is not act(x·W + b + r): once the activation is fused the residual must stay an Add.
        var w = new OnnxTestWriter().Input("x", "N", 5, 6).Output("y").Init("w", [6, 6], Random(36, 31)).Init("b", [6], Random(6, 32))
            .Node("MatMul", ["x", "w"], ["m"]).Node("Add", ["m", "b"], ["a"]).Node("Relu", ["a"], ["r"]).Node("Add", ["r", "x"], ["y"]);
        var (_, after, _) = OptimizeAndCompare(w, [2, 5, 6]);
        Assert.Equal([FusedOps.FusedMatMul, "Add"], after.Nodes.Select(n => n.OpType));
        Assert.Equal(("Relu", 3), (FusedOps.ActivationOf(after.Nodes[0]), after.Nodes[0].Inputs.Count));
    }

    [Theory]
    [InlineData(new long[] { 5, 6 })]    // a per-row constant, not a bias
    [InlineData(new long[] { 2, 1, 6 })] // would broadcast the output to a larger shape
    public void MatMulAddOfANonBiasConstantStaysApart(long[] dims)
    {
        var w = new OnnxTestWriter().Input("x", 2, 5, 6).Output("y").Init("w", [6, 6], Random(36, 41))
            .Init("c", dims, Random((int)dims.Aggregate(1L, (a, b) => a * b), 42))
            .Node("MatMul", ["x", "w"], ["m"]).Node("Add", ["m", "c"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 5, 6]);
        Assert.Equal(["MatMul", "Add"], after.Nodes.Select(n => n.OpType));
        Assert.Equal(0, stats["MatMulBiasToFusedMatMul"]);
    }

    [Fact]
    public void CanonicalConvHasExplicitAttributes()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 7, 7).Output("y").Init("w", [2, 3, 3, 3], Random(54, 1))
            .Node("Conv", ["x", "w"], ["y"], attrs: A(("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 })));
        var g = GpuSearch.Models.Onnx.OnnxImporter.LoadBytes(w.ToBytes());
        new GraphOptimizer().Run(g);
        var n = Assert.Single(g.Nodes);
        Assert.Equal(FusedOps.FusedConv, n.OpType);
        Assert.Equal([1L, 1L, 1L, 1L], n.GetInts("pads")!);
        Assert.Equal([3L, 3L], n.GetInts("kernel_shape")!);
        Assert.Equal([1L, 1L], n.GetInts("dilations")!);
        Assert.Equal(1, n.GetInt("group", 0));
        Assert.Equal("None", FusedOps.ActivationOf(n));
        Assert.Equal("[N,2,4,4]", g.Value("y").Shape!.ToString());
    }

    [Fact]
    public void ChannelShuffleReshapeGetsAConstantTarget()
    {
        // ShuffleNet: view(N, 2, C/2, H, W) with N, C, H, W read from x.size() and C/2 computed by Div.
        var w = new OnnxTestWriter().Input("x", "N", 4, 3, 3).Output("y");
        for (int i = 0; i < 4; i++)
            w.Node("Shape", ["x"], [$"s{i}"]).Init(TestTensor.Longs($"i{i}", [], [i])).Node("Gather", [$"s{i}", $"i{i}"], [$"d{i}"], attrs: A(("axis", 0L)));
        w.Init(TestTensor.Longs("two", [], [2])).Node("Div", ["d1", "two"], ["half"]).Init(TestTensor.Longs("ax", [1], [0]));
        foreach (var v in new[] { "d0", "two", "half", "d2", "d3" }) w.Node("Unsqueeze", [v, "ax"], [$"u_{v}"]);
        w.Node("Concat", ["u_d0", "u_two", "u_half", "u_d2", "u_d3"], ["shape"], attrs: A(("axis", 0L))).Node("Reshape", ["x", "shape"], ["y"]);
        var g = GpuSearch.Models.Onnx.OnnxImporter.LoadBytes(w.ToBytes());
        var stats = new GraphOptimizer().Run(g);
        var n = Assert.Single(g.Nodes);
        Assert.Equal("Reshape", n.OpType);
        Assert.Equal([0L, 2L, 2L, 3L, 3L], g.ConstantOf(n.Inputs[1])!.Longs!);
        Assert.Equal("[N,2,2,3,3]", g.Value("y").Shape!.ToString());
        Assert.Equal(1, stats["ResolveSymbolicReshape"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DecomposedLayerNormBecomesLayerNormalization(bool affine)
    {
        // torch < opset 17: ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta.
        var w = new OnnxTestWriter().Input("x", "N", 3, 8).Output("y").Init("two", [], [2f]).Init("eps", [], [1e-5f])
            .Node("ReduceMean", ["x"], ["m"], attrs: A(("axes", new long[] { -1 }))).Node("Sub", ["x", "m"], ["d"])
            .Node("Pow", ["d", "two"], ["p"]).Node("ReduceMean", ["p"], ["v"], attrs: A(("axes", new long[] { -1 })))
            .Node("Add", ["v", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["s"]).Node("Div", ["d", "s"], affine ? ["n"] : ["y"]);
        if (affine) w.Init("gamma", [8], Random(8, 11)).Init("beta", [8], Random(8, 12)).Node("Mul", ["n", "gamma"], ["ng"]).Node("Add", ["ng", "beta"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 3, 8]);
        var n = Assert.Single(after.Nodes);
        Assert.Equal("LayerNormalization", n.OpType);
        Assert.Equal((2L, 1e-5f), (n.GetInt("axis", 0), n.GetFloat("epsilon", 0)));
        Assert.Equal(1, stats["FuseLayerNormPattern"]);
    }

    [Fact]
    public void AttentionHeadReshapeKeepsItsShapeSoTheLayerNormAfterItFuses()
    {
        // torch's attention: view(N·heads, 3, 4) with N·heads = Mul(Gather(Shape(x), 0), 2), back to [N, 3, 8], then
        // opset-14 LayerNorm arithmetic. Without the symbolic product the second Reshape's shape is unknown.
        var w = new OnnxTestWriter().Input("x", "N", 3, 8).Output("y").Init("two", [], [2f]).Init("eps", [], [1e-5f])
            .Node("Shape", ["x"], ["s"]).Init(TestTensor.Longs("zero", [], [0])).Node("Gather", ["s", "zero"], ["n"], attrs: A(("axis", 0L)))
            .Init(TestTensor.Longs("heads", [], [2])).Node("Mul", ["n", "heads"], ["nh"]).Init(TestTensor.Longs("ax", [1], [0]))
            .Node("Unsqueeze", ["nh", "ax"], ["nh1"]).Init(TestTensor.Longs("rest", [2], [3, 4]))
            .Node("Concat", ["nh1", "rest"], ["shape"], attrs: A(("axis", 0L))).Node("Reshape", ["x", "shape"], ["h"])
            .Init(TestTensor.Longs("back", [3], [-1, 3, 8])).Node("Reshape", ["h", "back"], ["z"])
            .Node("ReduceMean", ["z"], ["m"], attrs: A(("axes", new long[] { -1 }))).Node("Sub", ["z", "m"], ["d"])
            .Node("Pow", ["d", "two"], ["p"]).Node("ReduceMean", ["p"], ["v"], attrs: A(("axes", new long[] { -1 })))
            .Node("Add", ["v", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["q"]).Node("Div", ["d", "q"], ["y"]);
        var after = GpuSearch.Models.Onnx.OnnxImporter.LoadBytes(w.ToBytes()); // the reference runner has no shape ops:
        var stats = new GraphOptimizer().Run(after);                            // ViT parity checks the numbers
        Assert.Equal(["Reshape", "Reshape", "LayerNormalization"], after.Nodes.Select(n => n.OpType));
        Assert.Equal([3L, 4L], after.Value("h").Shape!.Dims.Skip(1).Select(d => d.Value));
        Assert.Equal([-1L, 3L, 4L], after.ConstantOf(after.Nodes[0].Inputs[1])!.Longs!);
        Assert.Equal(1, stats["FuseLayerNormPattern"]);
    }

    [Theory]
    [InlineData(true, new long[] { 1, 4, 1, 1 })]
    [InlineData(false, new long[] { 4, 1, 1 })]
    [InlineData(false, new long[] { 1 })]
    public void ConstantBiasAddFoldsIntoTheConvBias(bool bias, long[] dims)
    {
        var w = ConvModel(bias: bias).Init("cb", dims, Random((int)dims.Aggregate(1L, (a, b) => a * b), 9)).Node("Add", ["c", "cb"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 3, 6, 6]);
        var conv = Assert.Single(after.Nodes);
        Assert.True(conv.HasInput(2));
        Assert.False(conv.HasInput(FusedOps.ResidualInput));
        Assert.Equal(1, stats["FoldBiasAddIntoConv"]);
    }

    [Fact]
    public void SpatialConstantAddIsNotABias()
    {
        var w = ConvModel().Init("cb", [1, 1, 6, 6], Random(36, 9)).Node("Add", ["c", "cb"], ["y"]);
        var (_, after, stats) = OptimizeAndCompare(w, [2, 3, 6, 6]);
        Assert.Equal(2, after.Nodes.Count);
        Assert.Equal(0, stats["FoldBiasAddIntoConv"]);
    }
}
