// The validator rejects unsupported models before any work, naming node, op type, opset and the attribute,
// input or dtype at fault.
using GpuSearch.Models;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public class ValidatorTests
{
    private static UnsupportedModelException Reject(OnnxTestWriter w) =>
        Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes())));

    [Fact]
    public void UnknownOpIsNamedWithNodeAndOpset()
    {
        var e = Reject(new OnnxTestWriter { Opset = 13 }.Input("x", "N", 4).Output("y").Node("NonMaxSuppression", ["x"], ["y"], "nms_1"));
        Assert.Contains("'nms_1'", e.Message);
        Assert.Contains("NonMaxSuppression", e.Message);
        Assert.Contains("opset 13", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void ConvWithNonConstantWeightIsRejected()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Input("w", 4, 3, 3, 3).Output("y").Node("Conv", ["x", "w"], ["y"], "conv_dyn");
        var e = Reject(w);
        Assert.Contains("'conv_dyn'", e.Message);
        Assert.Contains("weight", e.Message);
        Assert.Contains("not a constant", e.Message);
    }

    [Fact]
    public void ConvWeightFromAConstantSubgraphIsAccepted()
    {
        // fp16 exports often Cast their weights; that is foldable, so it is fine.
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y")
            .Init(new TestTensor { Name = "w16", Dims = [4, 3, 1, 1], Type = TensorDataType.Float16, Raw = new byte[24] })
            .Node("Cast", ["w16"], ["w"], attrs: A(("to", 1L))).Node("Conv", ["x", "w"], ["y"]);
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes()));
        Assert.Equal(FusedOps.FusedConv, Assert.Single(m.Graph.Nodes).OpType);
    }

    [Fact]
    public void BadAutoPadIsNamed()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y").Init("w", [4, 3, 3, 3], new float[108])
            .Node("Conv", ["x", "w"], ["y"], "c1", A(("auto_pad", "SAME_MIDDLE")));
        var e = Reject(w);
        Assert.Contains("auto_pad='SAME_MIDDLE'", e.Message);
        Assert.Contains("'c1'", e.Message);
    }

    [Fact]
    public void ForeignDomainAndInputDtypeAreNamed()
    {
        var e = Reject(new OnnxTestWriter().Input("x", "N", 4).Output("y").Node("Relu", ["x"], ["y"], "r", domain: "com.microsoft"));
        Assert.Contains("com.microsoft", e.Message);
        var e2 = Reject(new OnnxTestWriter().TypedInput("x", TensorDataType.Int32, "N", 4).Output("y").Node("Relu", ["x"], ["y"]));
        Assert.Contains("int32", e2.Message);
    }

    [Fact]
    public void EveryProblemIsListed()
    {
        var w = new OnnxTestWriter().Input("x", "N", 4).Output("y").Node("Foo", ["x"], ["a"], "f1").Node("Bar", ["a"], ["y"], "b1");
        var e = Reject(w);
        Assert.Equal(2, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("'f1'") && p.Contains("Foo"));
        Assert.Contains(e.Problems, p => p.Contains("'b1'") && p.Contains("Bar"));
    }

    [Fact]
    public void MissingValueIsNamed()
    {
        var e = Reject(new OnnxTestWriter().Input("x", "N", 4).Output("y").Node("Add", ["x", "ghost"], ["y"], "add1"));
        Assert.Contains("'ghost'", e.Message);
    }

    [Fact]
    public void SupportedOpListCoversTheIssueOps()
    {
        foreach (var op in new[] { "Conv", "BatchNormalization", "Relu", "Clip", "HardSwish", "Gelu", "Add", "MaxPool", "AveragePool",
                     "GlobalAveragePool", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice",
                     "Pad", "Softmax", "ReduceMean", "ReduceL2", "Pow", "Sqrt", "LayerNormalization", "Constant", "Identity", "Dropout",
                     "Cast", "Shape", "Gather", "Resize" })
        {
            Assert.True(GpuSearch.Models.Registry.OpRegistry.IsSupported(op), op);
            Assert.True(ShapeInference.Knows(op), op);
        }
    }
}
