// Comparisons, Where and ConstantOfShape as torch exports them in shape arithmetic (LogicOps, ShapeOps):
// `cls.expand(n, -1, -1)` is Concat([n,-1,-1]) → Where(Equal(t, ConstantOfShape(1)·-1), 1, t) → Expand. The
// chain must be accepted with a symbolic batch, evaluated when planning, and the same ops on runtime
// tensors refused before any work, naming node, op and input.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public sealed class LogicOpsTests
{
    private static OnnxTestWriter ExpandLikeTorch(int opset) => new OnnxTestWriter { Opset = opset }
        .Input("x", "N", 3).Output("y")
        .Init("cls", [1, 1, 3], [0.5f, -1.5f, 2.25f])
        .Init(TestTensor.Longs("zero", [1], [0])).Init(TestTensor.Longs("minus1", [1], [-1])).Init(TestTensor.Longs("three", [1], [3]))
        .Init(TestTensor.Longs("m1", [], [-1]))
        .Node("Shape", ["x"], ["sx"]).Node("Gather", ["sx", "zero"], ["n"], attrs: A(("axis", 0L)))
        .Node("Concat", ["n", "minus1", "minus1"], ["target"], attrs: A(("axis", 0L)))
        // The shape of `target` (its length, 3) drives ConstantOfShape, as in torch's export.
        .Node("ConstantOfShape", ["three"], ["ones"], attrs: A(("value", TestTensor.Longs("v", [1], [1]))))
        .Node("Mul", ["ones", "m1"], ["neg"])
        .Node("Equal", ["target", "neg"], ["is_default"], "eq")
        .Node("Where", ["is_default", "ones", "target"], ["shape"], "where")
        .Node("Expand", ["cls", "shape"], ["e"])
        .Node("Reshape", ["e", "flat"], ["y"])
        .Init(TestTensor.Longs("flat", [2], [0, -1]));

    [Fact]
    public void TorchExpandPatternRunsWithADynamicBatch()
    {
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(ExpandLikeTorch(17).ToBytes()));
        // Everything except the batch folds at load time: no comparison or fill is left for the executor.
        Assert.DoesNotContain(m.Graph.Nodes, n => n.OpType is "Equal" or "ConstantOfShape");
        Assert.Equal("[N,3]", m.Graph.Value("y").Shape!.ToString());
        using var s = new InferenceSession(OnnxImporter.LoadBytes(ExpandLikeTorch(17).ToBytes()), Devices.Cpu, new SessionOptions { BatchSizes = [3] });
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(new float[9], [3, 3]) })["y"];
        Assert.Equal([3, 3], y.Shape);
        Assert.Equal(new[] { 0.5f, -1.5f, 2.25f, 0.5f, -1.5f, 2.25f, 0.5f, -1.5f, 2.25f }, y.Data);
    }

    [Fact]
    public void SymbolicComparisonIsDecidedOnlyWhereItIsSound()
    {
        var g = OnnxImporter.LoadBytes(ExpandLikeTorch(17).ToBytes());
        ShapeInference.Run(g);
        // N is a size, so N == -1 is false; -1 == -1 is true; Where keeps the batch symbol.
        Assert.Equal("0,1,1", string.Join(",", g.Value("is_default").SymbolicData!.Select(d => d.ToString())));
        Assert.Equal(TensorDataType.Bool, g.Value("is_default").DataType);
        Assert.Equal("N,1,1", string.Join(",", g.Value("shape").SymbolicData!.Select(d => d.ToString())));
    }

    [Theory]
    [InlineData("Equal")]
    [InlineData("Where")]
    public void RuntimeTensorsAreRefusedBeforeAnyWork(string op)
    {
        var w = new OnnxTestWriter { Opset = 17 }.Input("x", "N", 4).Input("z", "N", 4).Output("y");
        if (op == "Equal") w.Node("Equal", ["x", "z"], ["y"], "cmp");
        else w.Init(TestTensor.Longs("c", [4], [1, 0, 1, 0])).Node("Cast", ["c"], ["cb"], attrs: A(("to", 9L))).Node("Where", ["cb", "x", "z"], ["y"], "cmp");
        var e = Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes())));
        Assert.Contains($"node 'cmp' ({op}, opset 17)", e.Message);
        Assert.Contains("'x'", e.Message);
        Assert.Contains("runtime tensor", e.Message);
    }
}
