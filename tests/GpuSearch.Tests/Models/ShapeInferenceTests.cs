// Shape inference per op, always with a symbolic batch "N" that must survive to the outputs.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Models;

public class ShapeInferenceTests
{
    private static Dictionary<string, object> A(params (string k, object v)[] kv) => kv.ToDictionary(p => p.k, p => p.v);

    /// <summary>Builds x → op → y, infers, returns y's shape as text.</summary>
    private static string Infer(OnnxTestWriter w, string output = "y")
    {
        var g = OnnxImporter.LoadBytes(w.ToBytes());
        ShapeInference.Run(g);
        return g.Value(output).Shape?.ToString() ?? "unknown";
    }

    private static OnnxTestWriter X(long opset, params object[] dims) => new OnnxTestWriter { Opset = opset }.Input("x", dims).Output("y");

    [Theory]
    [InlineData(new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, "NOTSET", "[N,8,16,16]")]
    [InlineData(new long[] { 0, 0, 0, 0 }, new long[] { 2, 2 }, "NOTSET", "[N,8,7,7]")]
    [InlineData(new long[] { 0, 0, 0, 0 }, new long[] { 2, 2 }, "SAME_UPPER", "[N,8,8,8]")]
    [InlineData(new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, "VALID", "[N,8,14,14]")]
    public void Conv(long[] pads, long[] strides, string autoPad, string expected)
    {
        var w = X(13, "N", 4, 16, 16).Init("w", [8, 4, 3, 3], new float[8 * 4 * 9])
            .Node("Conv", ["x", "w"], ["y"], attrs: A(("pads", pads), ("strides", strides), ("auto_pad", autoPad)));
        Assert.Equal(expected, Infer(w));
    }

    [Fact]
    public void DepthwiseConvWithGroups()
    {
        var w = X(13, "N", 4, 9, 9).Init("w", [4, 1, 3, 3], new float[36])
            .Node("Conv", ["x", "w"], ["y"], attrs: A(("group", 4L), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 })));
        Assert.Equal("[N,4,5,5]", Infer(w));
    }

    [Theory]
    [InlineData("MaxPool", 0L, "[N,3,7,7]")]
    [InlineData("MaxPool", 1L, "[N,3,8,8]")]
    [InlineData("AveragePool", 1L, "[N,3,8,8]")]
    public void PoolCeilMode(string op, long ceil, string expected)
    {
        var w = X(13, "N", 3, 15, 15).Node(op, ["x"], ["y"], attrs: A(("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", ceil)));
        Assert.Equal(expected, Infer(w));
    }

    [Fact]
    public void PoolWithPadsAndSameLower()
    {
        Assert.Equal("[N,3,15,15]", Infer(X(13, "N", 3, 15, 15).Node("AveragePool", ["x"], ["y"], attrs: A(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })))));
        Assert.Equal("[N,3,8,8]", Infer(X(13, "N", 3, 15, 15).Node("MaxPool", ["x"], ["y"], attrs: A(("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_LOWER")))));
    }

    [Fact]
    public void GlobalPoolsFlattenGemmSoftmax()
    {
        var w = X(13, "N", 16, 7, 7)
            .Node("GlobalAveragePool", ["x"], ["p"]).Node("Flatten", ["p"], ["f"])
            .Init("fc", [10, 16], new float[160]).Init("fb", [10], new float[10])
            .Node("Gemm", ["f", "fc", "fb"], ["g"], attrs: A(("transB", 1L))).Node("Softmax", ["g"], ["y"]);
        Assert.Equal("[N,10]", Infer(w));
    }

    [Fact]
    public void GlobalMaxPoolKeepsRank() => Assert.Equal("[N,16,1,1]", Infer(X(13, "N", 16, 7, 7).Node("GlobalMaxPool", ["x"], ["y"])));

    [Fact]
    public void BroadcastingBinaryOps()
    {
        var w = X(13, "N", 3, 1, 5).Init("b", [4, 1], new float[4]).Node("Add", ["x", "b"], ["y"]);
        Assert.Equal("[N,3,4,5]", Infer(w));
        var bad = X(13, "N", 3).Init("b", [4], new float[4]).Node("Mul", ["x", "b"], ["y"]);
        var e = Assert.Throws<InvalidDataException>(() => Infer(bad));
        Assert.Contains("cannot be broadcast", e.Message);
    }

    [Fact]
    public void MatMulBatchedAndVector()
    {
        Assert.Equal("[N,7,5]", Infer(X(13, "N", 7, 3).Init("w", [3, 5], new float[15]).Node("MatMul", ["x", "w"], ["y"])));
        Assert.Equal("[N,7]", Infer(X(13, "N", 7, 3).Init("v", [3], new float[3]).Node("MatMul", ["x", "v"], ["y"])));
    }

    [Fact]
    public void ReshapeWithZeroAndMinusOne()
    {
        var w = X(13, "N", 4, 6, 2).Init(TestTensor.Longs("s", [3], [0, -1, 3])).Node("Reshape", ["x", "s"], ["y"]);
        Assert.Equal("[N,16,3]", Infer(w));
    }

    [Fact]
    public void TorchFlattenPatternKeepsTheBatchSymbolic()
    {
        // x.view(x.size(0), -1) as torch exports it.
        var w = X(13, "N", 4, 3, 3)
            .Node("Shape", ["x"], ["s"]).Init(TestTensor.Longs("zero", [], [0])).Node("Gather", ["s", "zero"], ["n"], attrs: A(("axis", 0L)))
            .Init(TestTensor.Longs("ax0", [1], [0])).Node("Unsqueeze", ["n", "ax0"], ["n1"])
            .Init(TestTensor.Longs("m1", [1], [-1])).Node("Concat", ["n1", "m1"], ["shape"], attrs: A(("axis", 0L)))
            .Node("Reshape", ["x", "shape"], ["y"]);
        Assert.Equal("[N,36]", Infer(w));
    }

    [Fact]
    public void Transpose()
    {
        Assert.Equal("[N,5,3,4]", Infer(X(13, "N", 3, 4, 5).Node("Transpose", ["x"], ["y"], attrs: A(("perm", new long[] { 0, 3, 1, 2 })))));
        Assert.Equal("[5,4,N]", Infer(X(13, "N", 4, 5).Node("Transpose", ["x"], ["y"])));
    }

    [Fact]
    public void SqueezeAndUnsqueezeAxesAsAttributeAndAsInput()
    {
        Assert.Equal("[N,8]", Infer(X(11, "N", 8, 1, 1).Node("Squeeze", ["x"], ["y"], attrs: A(("axes", new long[] { 2, 3 })))));
        Assert.Equal("[N,8]", Infer(X(13, "N", 8, 1, 1).Init(TestTensor.Longs("a", [2], [-1, -2])).Node("Squeeze", ["x", "a"], ["y"])));
        Assert.Equal("[N,8]", Infer(X(13, "N", 8, 1, 1).Node("Squeeze", ["x"], ["y"])));
        Assert.Equal("[N,1,8,1]", Infer(X(11, "N", 8).Node("Unsqueeze", ["x"], ["y"], attrs: A(("axes", new long[] { 1, -1 })))));
        Assert.Equal("[N,1,8,1]", Infer(X(13, "N", 8).Init(TestTensor.Longs("a", [2], [1, 3])).Node("Unsqueeze", ["x", "a"], ["y"])));
    }

    [Fact]
    public void ConcatAlongChannels()
    {
        var w = new OnnxTestWriter().Input("a", "N", 3, 5, 5).Input("b", "N", 4, 5, 5).Output("y").Node("Concat", ["a", "b"], ["y"], attrs: A(("axis", 1L)));
        Assert.Equal("[N,7,5,5]", Infer(w));
    }

    [Fact]
    public void SliceWithInputsAndNegativeSteps()
    {
        var w = X(13, "N", 10, 8).Init(TestTensor.Longs("st", [2], [1, -1])).Init(TestTensor.Longs("en", [2], [-1, -100]))
            .Init(TestTensor.Longs("ax", [2], [1, 2])).Init(TestTensor.Longs("sp", [2], [2, -2])).Node("Slice", ["x", "st", "en", "ax", "sp"], ["y"]);
        Assert.Equal("[N,4,4]", Infer(w));
    }

    [Fact]
    public void PadAsInputAndAsAttribute()
    {
        Assert.Equal("[N,3,7,9]", Infer(X(13, "N", 3, 5, 5).Init(TestTensor.Longs("p", [8], [0, 0, 1, 2, 0, 0, 1, 2])).Node("Pad", ["x", "p"], ["y"])));
        Assert.Equal("[N,3,7,9]", Infer(X(10, "N", 3, 5, 5).Node("Pad", ["x"], ["y"], attrs: A(("pads", new long[] { 0, 0, 1, 2, 0, 0, 1, 2 })))));
    }

    [Fact]
    public void ReductionsAndNormalisation()
    {
        Assert.Equal("[N,3,1,1]", Infer(X(13, "N", 3, 5, 5).Node("ReduceMean", ["x"], ["y"], attrs: A(("axes", new long[] { 2, 3 })))));
        Assert.Equal("[N,3]", Infer(X(13, "N", 3, 5, 5).Node("ReduceMean", ["x"], ["y"], attrs: A(("axes", new long[] { -1, -2 }), ("keepdims", 0L)))));
        Assert.Equal("[N,1]", Infer(X(18, "N", 8).Init(TestTensor.Longs("a", [1], [1])).Node("ReduceL2", ["x", "a"], ["y"])));
        Assert.Equal("[N,8]", Infer(X(17, "N", 8).Init("s", [8], new float[8]).Init("b", [8], new float[8]).Node("LayerNormalization", ["x", "s", "b"], ["y"])));
    }

    [Fact]
    public void UnaryOpsConstantCastAndDropoutPassShapesThrough()
    {
        var w = X(13, "N", 6).Node("Relu", ["x"], ["a"]).Node("Sigmoid", ["a"], ["b"]).Node("Tanh", ["b"], ["c"])
            .Node("Erf", ["c"], ["d"]).Node("Dropout", ["d"], ["e"]).Node("Identity", ["e"], ["f"])
            .Node("Cast", ["f"], ["g"], attrs: A(("to", 1L))).Node("Constant", [], ["k"], attrs: A(("value", TestTensor.Floats("", [1], [2f]))))
            .Node("Pow", ["g", "k"], ["h"]).Node("Sqrt", ["h"], ["y"]);
        Assert.Equal("[N,6]", Infer(w));
    }

    [Fact]
    public void ResizeWithScales()
    {
        var w = X(13, "N", 3, 4, 4).Init("sc", [4], [1, 1, 2, 2]).Node("Resize", ["x", "", "sc"], ["y"]);
        Assert.Equal("[N,3,8,8]", Infer(w));
    }

    [Fact]
    public void InconsistentConvChannelsNameTheNode()
    {
        var w = X(13, "N", 3, 8, 8).Init("w", [8, 4, 3, 3], new float[8 * 36]).Node("Conv", ["x", "w"], ["y"], "conv_bad");
        var e = Assert.Throws<InvalidDataException>(() => Infer(w));
        Assert.Contains("conv_bad", e.Message);
    }
}
